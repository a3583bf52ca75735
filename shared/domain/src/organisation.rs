//! The tenant's organisation: branches [sucursales] with their region and zone, and teams with
//! their branch, members and supervisors. A company has a handful of each, so they are one
//! record, read with the caller's directory entry on every request: the team and branch
//! record scopes are computed from it.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::ids::{UnitId, UserId};
use crate::messages as msg;
use crate::validation::ValidationErrors;

pub const UNIT_NAME_MAX: usize = 80;
pub const MAX_BRANCHES: usize = 100;
pub const MAX_TEAMS: usize = 200;
/// Members and supervisors of one team, together.
pub const MAX_TEAM_PEOPLE: usize = 500;

/// A branch [sucursal], placed in a region and a zone (the words the company uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Branch {
    pub id: UnitId,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 80))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 80))]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 80))]
    pub zone: Option<String>,
}

/// A team: its members work its records; its supervisors oversee them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: UnitId,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 80))]
    pub name: String,
    /// One of the organisation's branches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<UnitId>,
    /// In the order entered (pools drawing from the team take turns in it); each once.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeSet<UserId>))]
    pub members: Vec<UserId>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeSet<UserId>))]
    pub supervisors: Vec<UserId>,
}

impl Team {
    fn includes(&self, user: &UserId) -> bool {
        self.members.contains(user) || self.supervisors.contains(user)
    }

    fn people(&self) -> impl Iterator<Item = &UserId> {
        self.members.iter().chain(&self.supervisors)
    }
}

/// `GET` and `PUT /organisation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organisation {
    #[serde(default)]
    pub branches: Vec<Branch>,
    #[serde(default)]
    pub teams: Vec<Team>,
}

/// Whose records a user sees under the team and the branch scopes. Each set includes the
/// user, so a user in no team sees their own records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Circle {
    /// The members and supervisors of the user's teams.
    pub team: BTreeSet<UserId>,
    /// The members and supervisors of every team of the branches of the user's teams.
    pub branch: BTreeSet<UserId>,
}

impl Organisation {
    /// The organisation as entered, checked: names present, ids unique, each team's branch
    /// one of the branches, sizes bounded. Every user it names must also be in the directory,
    /// which the use case checks.
    pub fn validate(self) -> Result<Organisation, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.branches.len() > MAX_BRANCHES {
            e.add("branches", msg::at_most_items(MAX_BRANCHES));
        }
        if self.teams.len() > MAX_TEAMS {
            e.add("teams", msg::at_most_items(MAX_TEAMS));
        }
        let mut branch_ids = HashSet::new();
        let mut branches = Vec::with_capacity(self.branches.len());
        for (i, branch) in self.branches.into_iter().enumerate() {
            let at = format!("branches[{i}]");
            if !branch_ids.insert(branch.id.clone()) {
                e.add(format!("{at}.id"), msg::duplicate(branch.id.as_str()));
            }
            let name = e.text(&format!("{at}.name"), &branch.name, UNIT_NAME_MAX, false);
            let region = e.optional_text(&format!("{at}.region"), branch.region.as_deref(), UNIT_NAME_MAX, false);
            let zone = e.optional_text(&format!("{at}.zone"), branch.zone.as_deref(), UNIT_NAME_MAX, false);
            branches.push(Branch { id: branch.id, name: name.unwrap_or_default(), region, zone });
        }
        let mut team_ids = HashSet::new();
        let mut teams = Vec::with_capacity(self.teams.len());
        for (i, team) in self.teams.into_iter().enumerate() {
            let at = format!("teams[{i}]");
            if !team_ids.insert(team.id.clone()) {
                e.add(format!("{at}.id"), msg::duplicate(team.id.as_str()));
            }
            let name = e.text(&format!("{at}.name"), &team.name, UNIT_NAME_MAX, false);
            if let Some(branch) = &team.branch
                && !branch_ids.contains(branch)
            {
                e.add(format!("{at}.branch"), msg::no_such_branch(branch.as_str()));
            }
            if team.members.len() + team.supervisors.len() > MAX_TEAM_PEOPLE {
                e.add(format!("{at}.members"), msg::at_most_items(MAX_TEAM_PEOPLE));
            }
            for (list, users) in [("members", &team.members), ("supervisors", &team.supervisors)] {
                let mut seen = HashSet::new();
                if let Some(twice) = users.iter().find(|u| !seen.insert(*u)) {
                    e.add(format!("{at}.{list}"), msg::duplicate(twice.as_str()));
                }
            }
            teams.push(Team { name: name.unwrap_or_default(), ..team });
        }
        e.finish()?;
        Ok(Organisation { branches, teams })
    }

    /// The region of the branch of `user`'s first team that has one.
    pub fn region_of(&self, user: &UserId) -> Option<String> {
        self.teams_of(user)
            .filter_map(|t| t.branch.as_ref())
            .filter_map(|b| self.branches.iter().find(|branch| &branch.id == b))
            .find_map(|b| b.region.clone())
    }

    /// Everyone the organisation names, each once, with the field that first names them.
    pub fn people(&self) -> Vec<(String, &UserId)> {
        let mut seen = HashSet::new();
        let mut people = Vec::new();
        for (i, team) in self.teams.iter().enumerate() {
            for (list, users) in [("members", &team.members), ("supervisors", &team.supervisors)] {
                for user in users {
                    if seen.insert(user) {
                        people.push((format!("teams[{i}].{list}"), user));
                    }
                }
            }
        }
        people
    }

    /// Whose records `user` sees under the team and the branch scopes.
    pub fn circle(&self, user: &UserId) -> Circle {
        let mine: Vec<&Team> = self.teams.iter().filter(|t| t.includes(user)).collect();
        let my_branches: BTreeSet<&UnitId> = mine.iter().filter_map(|t| t.branch.as_ref()).collect();
        let mut team: BTreeSet<UserId> = mine.iter().flat_map(|t| t.people()).cloned().collect();
        team.insert(user.clone());
        let mut branch = team.clone();
        for other in &self.teams {
            if other.branch.as_ref().is_some_and(|b| my_branches.contains(b)) {
                branch.extend(other.people().cloned());
            }
        }
        Circle { team, branch }
    }

    /// The teams a user belongs to (as a member or a supervisor).
    pub fn teams_of<'a>(&'a self, user: &'a UserId) -> impl Iterator<Item = &'a Team> + 'a {
        self.teams.iter().filter(move |t| t.includes(user))
    }

    pub fn team(&self, id: &UnitId) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == *id)
    }

    pub fn branch(&self, id: &UnitId) -> Option<&Branch> {
        self.branches.iter().find(|b| b.id == *id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn unit(id: &str) -> UnitId {
        UnitId::parse(id).unwrap()
    }

    fn team(id: &str, branch: Option<&str>, members: &[&str], supervisors: &[&str]) -> Team {
        Team {
            id: unit(id),
            name: id.to_uppercase(),
            branch: branch.map(unit),
            members: members.iter().map(|m| user(m)).collect(),
            supervisors: supervisors.iter().map(|m| user(m)).collect(),
        }
    }

    fn organisation() -> Organisation {
        let branch = |id: &str| Branch { id: unit(id), name: id.into(), region: Some("Central".into()), zone: None };
        Organisation {
            branches: vec![branch("san-jose"), branch("heredia")],
            teams: vec![
                team("soporte", Some("san-jose"), &["ana", "carlos"], &["sofia"]),
                team("ventas", Some("san-jose"), &["luis"], &[]),
                team("cobros", Some("heredia"), &["marta"], &["sofia"]),
                team("remoto", None, &["pia"], &[]),
            ],
        }
    }

    fn names(set: &BTreeSet<UserId>) -> Vec<&str> {
        set.iter().map(UserId::as_str).collect()
    }

    #[test]
    fn a_circle_is_the_teams_people_and_then_the_branches_people() {
        let org = organisation();
        let ana = org.circle(&user("ana"));
        assert_eq!(names(&ana.team), ["ana", "carlos", "sofia"]);
        assert_eq!(names(&ana.branch), ["ana", "carlos", "luis", "sofia"]);
        // A supervisor of teams in two branches sees both.
        let sofia = org.circle(&user("sofia"));
        assert_eq!(names(&sofia.team), ["ana", "carlos", "marta", "sofia"]);
        assert_eq!(names(&sofia.branch), ["ana", "carlos", "luis", "marta", "sofia"]);
        // A team without a branch widens nothing; someone in no team sees themselves.
        assert_eq!(names(&org.circle(&user("pia")).branch), ["pia"]);
        assert_eq!(names(&org.circle(&user("nadie")).team), ["nadie"]);
    }

    #[test]
    fn an_organisation_with_a_repeated_id_or_person_or_an_unknown_branch_is_refused() {
        let mut org = organisation();
        org.teams.push(team("soporte", Some("cartago"), &[], &["sofia", "sofia"]));
        org.branches[1].name = " ".into();
        let refused = org.validate().unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["branches[1].name", "teams[4].id", "teams[4].branch", "teams[4].supervisors"]);
        assert!(organisation().validate().is_ok());
    }

    #[test]
    fn everyone_named_is_listed_once_with_where_they_were_first_named() {
        let org = organisation();
        let people: Vec<(String, &str)> = org.people().into_iter().map(|(f, u)| (f, u.as_str())).collect();
        assert_eq!(people[2], ("teams[0].supervisors".to_owned(), "sofia"));
        assert_eq!(people.len(), 6);
    }
}
