//! Amounts, dates, percentages and numbers in words, per document language. Done here, in
//! Rust, so templates (typst documents and e-mails) only print strings and every figure is tested.
//!
//! Spanish follows the usage of Spain and most of Latin America for documents: `.` groups
//! thousands and `,` marks decimals (`₡1.250.000,00`); English uses `,` and `.`
//! (`US$1,250.00`). Symbols are the unambiguous ones for the region (`US$`, not `$`, because
//! `$` is also the peso); the euro is written after the amount in Spanish (`1.250,00 €`).
//! No crate spells Spanish numbers, so [`words_es`] does, with the table tests below.

use crate::document::Locale;
use crate::money::Money;
use jiff::civil::Date;

/// The symbol printed for a currency: regional conventions first, else ISO's symbol, else the code.
fn symbol(code: &str) -> String {
    match code {
        "USD" => "US$".into(),
        "CRC" => "₡".into(),
        "EUR" => "€".into(),
        "MXN" => "MX$".into(),
        "COP" => "COL$".into(),
        "CLP" => "CLP$".into(),
        "ARS" => "AR$".into(),
        "PEN" => "S/".into(),
        "GTQ" => "Q".into(),
        "HNL" => "L".into(),
        "NIO" => "C$".into(),
        "PAB" => "B/.".into(),
        "DOP" => "RD$".into(),
        "UYU" => "$U".into(),
        "BOB" => "Bs".into(),
        "PYG" => "₲".into(),
        "GBP" => "£".into(),
        other => iso_currency::Currency::from_code(other)
            .map(|c| c.symbol().to_string())
            .filter(|s| !s.is_empty() && s != "¤")
            .unwrap_or_else(|| format!("{other} ")),
    }
}

/// How many decimals the currency's amounts have (2 unless ISO 4217 says otherwise).
pub fn exponent(code: &str) -> u32 {
    iso_currency::Currency::from_code(code).and_then(|c| c.exponent()).unwrap_or(2).into()
}

/// Groups the digits of `whole` by thousands with `separator`.
fn group(whole: u64, separator: char) -> String {
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// A plain number with the currency's decimals and the language's separators (`1.250.000,00`).
pub fn number(money: &Money, locale: Locale) -> String {
    let (thousands, decimal) = match locale {
        Locale::Es => ('.', ','),
        Locale::En => (',', '.'),
    };
    let exponent = exponent(&money.currency);
    let scale = 10u64.pow(exponent);
    let amount = money.amount_minor.unsigned_abs();
    let sign = if money.amount_minor < 0 { "-" } else { "" };
    let whole = group(amount / scale, thousands);
    if exponent == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}{decimal}{:0width$}", amount % scale, width = exponent as usize)
    }
}

/// An amount with its currency (`₡1.250.000,00`, `US$1,250.00`, `1.250,00 €`).
pub fn money(money: &Money, locale: Locale) -> String {
    let number = number(money, locale);
    let symbol = symbol(&money.currency);
    if locale == Locale::Es && money.currency == "EUR" {
        format!("{number} {symbol}")
    } else if let Some(negative) = number.strip_prefix('-') {
        format!("-{symbol}{negative}")
    } else {
        format!("{symbol}{number}")
    }
}

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date in words (`22 de noviembre de 2026`, `November 22, 2026`).
pub fn date(date: Date, locale: Locale) -> String {
    let month = usize::from(date.month().unsigned_abs()) - 1;
    match locale {
        Locale::Es => format!("{} de {} de {}", date.day(), MONTHS_ES[month], date.year()),
        Locale::En => format!("{} {}, {}", MONTHS_EN[month], date.day(), date.year()),
    }
}

/// A rate in basis points as a percentage (`13 %`, `12,5 %` / `13%`, `12.5%`).
pub fn percent(basis_points: u32, locale: Locale) -> String {
    let whole = basis_points / 100;
    let fraction = basis_points % 100;
    let decimal = if locale == Locale::Es { ',' } else { '.' };
    let number = match fraction {
        0 => whole.to_string(),
        f if f.is_multiple_of(10) => format!("{whole}{decimal}{}", f / 10),
        f => format!("{whole}{decimal}{f:02}"),
    };
    match locale {
        Locale::Es => format!("{number} %"),
        Locale::En => format!("{number}%"),
    }
}

/// Currency names for amounts in words: (singular, plural) per language.
fn currency_names(code: &str, locale: Locale) -> (String, String) {
    let (es, en): ((&str, &str), (&str, &str)) = match code {
        "CRC" => (("colón", "colones"), ("colón", "colones")),
        "USD" => (("dólar estadounidense", "dólares estadounidenses"), ("US dollar", "US dollars")),
        "EUR" => (("euro", "euros"), ("euro", "euros")),
        "MXN" => (("peso mexicano", "pesos mexicanos"), ("Mexican peso", "Mexican pesos")),
        "COP" => (("peso colombiano", "pesos colombianos"), ("Colombian peso", "Colombian pesos")),
        "CLP" => (("peso chileno", "pesos chilenos"), ("Chilean peso", "Chilean pesos")),
        "ARS" => (("peso argentino", "pesos argentinos"), ("Argentine peso", "Argentine pesos")),
        "PEN" => (("sol", "soles"), ("sol", "soles")),
        "GTQ" => (("quetzal", "quetzales"), ("quetzal", "quetzales")),
        _ => {
            let name = iso_currency::Currency::from_code(code).map_or_else(|| code.to_owned(), |c| c.name().to_owned());
            return (name.clone(), name);
        }
    };
    let (one, many) = if locale == Locale::Es { es } else { en };
    (one.to_owned(), many.to_owned())
}

/// An amount in words as legal documents write it: "un millón doscientos cincuenta mil
/// colones con 00/100", "one thousand two hundred fifty US dollars and 00/100".
pub fn money_in_words(money: &Money, locale: Locale) -> String {
    let exponent = exponent(&money.currency);
    let scale = 10u64.pow(exponent);
    let amount = money.amount_minor.unsigned_abs();
    let (whole, fraction) = (amount / scale, amount % scale);
    let (one, many) = currency_names(&money.currency, locale);
    let name = if whole == 1 { one } else { many };
    match locale {
        Locale::Es => {
            // "un millón de colones": "de" after a round million or more.
            let words = words_es(whole);
            let de = if whole >= 1_000_000 && whole.is_multiple_of(1_000_000) { " de" } else { "" };
            let mut text = format!("{words}{de} {name}");
            if exponent > 0 {
                text.push_str(&format!(" con {fraction:0width$}/{scale}", width = exponent as usize));
            }
            text
        }
        Locale::En => {
            let mut text = format!("{} {name}", words_en(whole));
            if exponent > 0 {
                text.push_str(&format!(" and {fraction:0width$}/{scale}", width = exponent as usize));
            }
            text
        }
    }
}

const UNITS_ES: [&str; 30] = [
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
];
const TENS_ES: [&str; 10] =
    ["", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"];
const HUNDREDS_ES: [&str; 10] = [
    "",
    "ciento",
    "doscientos",
    "trescientos",
    "cuatrocientos",
    "quinientos",
    "seiscientos",
    "setecientos",
    "ochocientos",
    "novecientos",
];

/// 0–999 in Spanish, with the masculine "uno" (callers shorten it before a noun).
fn below_thousand_es(n: u64) -> String {
    let (hundreds, rest) = (n / 100, n % 100);
    let rest_words = match rest {
        0 => String::new(),
        1..=29 => UNITS_ES[rest as usize].to_owned(),
        _ if rest.is_multiple_of(10) => TENS_ES[(rest / 10) as usize].to_owned(),
        _ => format!("{} y {}", TENS_ES[(rest / 10) as usize], UNITS_ES[(rest % 10) as usize]),
    };
    match (hundreds, rest) {
        (0, _) => rest_words,
        (1, 0) => "cien".to_owned(),
        (h, 0) => HUNDREDS_ES[h as usize].to_owned(),
        (h, _) => format!("{} {rest_words}", HUNDREDS_ES[h as usize]),
    }
}

/// "uno" becomes "un" before a noun or "mil"/"millón" ("veintiún mil", "un millón").
fn apocope(words: String) -> String {
    if words == "uno" {
        "un".to_owned()
    } else if let Some(stem) = words.strip_suffix("veintiuno") {
        format!("{stem}veintiún")
    } else if let Some(stem) = words.strip_suffix(" uno") {
        format!("{stem} un")
    } else {
        words
    }
}

/// A whole number in Spanish words, long scale (millón, billón = 10¹²), with "un" before the
/// currency as amounts are written: 1250 → "mil doscientos cincuenta", 21 → "veintiún".
pub fn words_es(n: u64) -> String {
    if n == 0 {
        return "cero".into();
    }
    let mut parts = Vec::new();
    let trillions = n / 1_000_000_000_000_000_000;
    let billions = (n / 1_000_000_000_000) % 1_000_000;
    let millions = (n / 1_000_000) % 1_000_000;
    let thousands = n % 1_000_000;
    let scale = |count: u64, one: &str, many: &str, parts: &mut Vec<String>| {
        if count == 1 {
            parts.push(format!("un {one}"));
        } else if count > 1 {
            parts.push(format!("{} {many}", apocope(thousands_es(count))));
        }
    };
    scale(trillions, "trillón", "trillones", &mut parts);
    scale(billions, "billón", "billones", &mut parts);
    scale(millions, "millón", "millones", &mut parts);
    if thousands > 0 {
        parts.push(apocope(thousands_es(thousands)));
    }
    parts.join(" ")
}

/// 0–999 999 in Spanish ("mil", not "un mil").
fn thousands_es(n: u64) -> String {
    let (high, low) = (n / 1_000, n % 1_000);
    let mut parts = Vec::new();
    match high {
        0 => {}
        1 => parts.push("mil".to_owned()),
        _ => parts.push(format!("{} mil", apocope(below_thousand_es(high)))),
    }
    if low > 0 {
        parts.push(below_thousand_es(low));
    }
    parts.join(" ")
}

const UNITS_EN: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS_EN: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

fn below_thousand_en(n: u64) -> String {
    let (hundreds, rest) = (n / 100, n % 100);
    let rest_words = match rest {
        0 => String::new(),
        1..=19 => UNITS_EN[rest as usize].to_owned(),
        _ if rest.is_multiple_of(10) => TENS_EN[(rest / 10) as usize].to_owned(),
        _ => format!("{}-{}", TENS_EN[(rest / 10) as usize], UNITS_EN[(rest % 10) as usize]),
    };
    match (hundreds, rest) {
        (0, _) => rest_words,
        (h, 0) => format!("{} hundred", UNITS_EN[h as usize]),
        (h, _) => format!("{} hundred {rest_words}", UNITS_EN[h as usize]),
    }
}

/// A whole number in English words, short scale: 1250 → "one thousand two hundred fifty".
pub fn words_en(n: u64) -> String {
    if n == 0 {
        return "zero".into();
    }
    const SCALES: [(u64, &str); 6] = [
        (1_000_000_000_000_000_000, "quintillion"),
        (1_000_000_000_000_000, "quadrillion"),
        (1_000_000_000_000, "trillion"),
        (1_000_000_000, "billion"),
        (1_000_000, "million"),
        (1_000, "thousand"),
    ];
    let mut parts = Vec::new();
    let mut rest = n;
    for (size, name) in SCALES {
        if rest >= size {
            parts.push(format!("{} {name}", below_thousand_en(rest / size)));
            rest %= size;
        }
    }
    if rest > 0 {
        parts.push(below_thousand_en(rest));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(amount_minor: i64, currency: &str) -> Money {
        Money { amount_minor, currency: currency.into() }
    }

    #[test]
    fn amounts_follow_the_language_and_currency() {
        assert_eq!(money(&m(125_000_000, "CRC"), Locale::Es), "₡1.250.000,00");
        assert_eq!(money(&m(125_000, "USD"), Locale::En), "US$1,250.00");
        assert_eq!(money(&m(125_000, "USD"), Locale::Es), "US$1.250,00");
        assert_eq!(money(&m(125_000, "EUR"), Locale::Es), "1.250,00 €");
        assert_eq!(money(&m(125_000, "EUR"), Locale::En), "€1,250.00");
        assert_eq!(money(&m(1_250_000, "CLP"), Locale::Es), "CLP$1.250.000");
        assert_eq!(money(&m(5, "USD"), Locale::En), "US$0.05");
        assert_eq!(money(&m(-99_900, "MXN"), Locale::Es), "-MX$999,00");
        assert_eq!(
            money(&m(1_234_567, "BHD"), Locale::En).trim_start_matches(|c: char| !c.is_ascii_digit()),
            "1,234.567"
        );
        assert_eq!(number(&m(100_000, "CRC"), Locale::Es), "1.000,00");
        assert_eq!(number(&m(99_999, "CRC"), Locale::Es), "999,99");
    }

    #[test]
    fn dates_and_percentages() {
        let day = jiff::civil::date(2026, 12, 1);
        assert_eq!(date(day, Locale::Es), "1 de diciembre de 2026");
        assert_eq!(date(day, Locale::En), "December 1, 2026");
        assert_eq!(percent(1300, Locale::Es), "13 %");
        assert_eq!(percent(1250, Locale::Es), "12,5 %");
        assert_eq!(percent(1225, Locale::En), "12.25%");
        assert_eq!(percent(5, Locale::En), "0.05%");
    }

    #[test]
    fn spanish_words() {
        let cases = [
            (0, "cero"),
            (1, "un"),
            (15, "quince"),
            (16, "dieciséis"),
            (21, "veintiún"),
            (22, "veintidós"),
            (30, "treinta"),
            (31, "treinta y un"),
            (100, "cien"),
            (101, "ciento un"),
            (115, "ciento quince"),
            (500, "quinientos"),
            (777, "setecientos setenta y siete"),
            (1_000, "mil"),
            (1_001, "mil un"),
            (1_250, "mil doscientos cincuenta"),
            (21_000, "veintiún mil"),
            (31_000, "treinta y un mil"),
            (100_000, "cien mil"),
            (101_000, "ciento un mil"),
            (999_999, "novecientos noventa y nueve mil novecientos noventa y nueve"),
            (1_000_000, "un millón"),
            (1_250_000, "un millón doscientos cincuenta mil"),
            (2_000_000, "dos millones"),
            (21_000_000, "veintiún millones"),
            (1_000_000_000, "mil millones"),
            (3_500_000_000, "tres mil quinientos millones"),
            (1_000_000_000_000, "un billón"),
        ];
        for (n, expected) in cases {
            assert_eq!(words_es(n), expected, "{n}");
        }
    }

    #[test]
    fn english_words() {
        for (n, expected) in [
            (0, "zero"),
            (13, "thirteen"),
            (45, "forty-five"),
            (100, "one hundred"),
            (1_250, "one thousand two hundred fifty"),
            (1_000_001, "one million one"),
            (3_500_000_000, "three billion five hundred million"),
        ] {
            assert_eq!(words_en(n), expected, "{n}");
        }
    }

    #[test]
    fn amounts_in_words() {
        assert_eq!(money_in_words(&m(125_000, "CRC"), Locale::Es), "mil doscientos cincuenta colones con 00/100");
        assert_eq!(money_in_words(&m(100_000_000, "CRC"), Locale::Es), "un millón de colones con 00/100");
        assert_eq!(money_in_words(&m(2_100, "USD"), Locale::Es), "veintiún dólares estadounidenses con 00/100");
        assert_eq!(money_in_words(&m(100, "EUR"), Locale::Es), "un euro con 00/100");
        assert_eq!(
            money_in_words(&m(125_050, "USD"), Locale::En),
            "one thousand two hundred fifty US dollars and 50/100"
        );
        assert_eq!(money_in_words(&m(1_000, "CLP"), Locale::Es), "mil pesos chilenos");
    }
}
