//! One input of a form as every form of the console renders it (`field_input.html`): its
//! label, control, value and the error the last post left on it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Text,
    LongText,
    Number,
    Money,
    Date,
    /// A web address (the browser checks its form and offers the matching keyboard).
    Url,
    Checkbox,
    Choice,
}

/// A form of inputs as `record_form_body.html` renders it: where it posts and what it carries.
pub struct FormBody {
    pub heading: String,
    pub action: String,
    /// Where "cancel" goes.
    pub back: String,
    pub version: Option<u64>,
    /// Each input's value as the record has it (edits send only what changed).
    pub was: Vec<(String, String)>,
    pub inputs: Vec<FieldInput>,
    /// Hidden values the form carries (the contact's account, the new case's type).
    pub hidden: Vec<(String, String)>,
    pub failed: bool,
    pub submit: String,
}

/// One input of a form, ready for the template.
#[derive(Debug, Clone)]
pub struct FieldInput {
    pub name: String,
    /// The element's id, unique on the page.
    pub dom_id: String,
    pub label: String,
    pub control: Control,
    /// The value as the input shows it (`true` for a ticked box).
    pub value: String,
    /// `(value, label)` of a choice's options.
    pub options: Vec<(String, String)>,
    pub required: bool,
    /// Shown but locked: the user's profile may read the field, not change it.
    pub read_only: bool,
    pub error: Option<String>,
}

impl FieldInput {
    pub fn is_long(&self) -> bool {
        self.control == Control::LongText
    }
    pub fn is_checkbox(&self) -> bool {
        self.control == Control::Checkbox
    }
    pub fn is_choice(&self) -> bool {
        self.control == Control::Choice
    }
    pub fn input_type(&self) -> &'static str {
        match self.control {
            Control::Date => "date",
            Control::Url => "url",
            _ => "text",
        }
    }
    pub fn decimal(&self) -> bool {
        matches!(self.control, Control::Number | Control::Money)
    }
}
