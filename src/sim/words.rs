//! Word lists from `assets/sim`, compiled into the binary and parsed once.

use std::sync::OnceLock;

pub struct Category {
    pub id: u32,
    pub name: &'static str,
    pub parent_id: u32,
    pub types: Vec<&'static str>,
    pub brands: Vec<&'static str>,
    pub specs: Vec<&'static str>,
}

pub struct Words {
    pub categories: Vec<Category>,
    pub colours: Vec<&'static str>,
    pub models: Vec<&'static str>,
    pub phrases: Vec<&'static str>,
    pub safety: Vec<&'static str>,
}

const CATEGORIES: &str = include_str!("../../assets/sim/categories.txt");
const COLOURS: &str = include_str!("../../assets/sim/colours.txt");
const MODELS: &str = include_str!("../../assets/sim/models.txt");
const PHRASES: &str = include_str!("../../assets/sim/phrases.txt");
const SAFETY: &str = include_str!("../../assets/sim/safety.txt");

fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn list(field: &'static str) -> Vec<&'static str> {
    field
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse() -> Words {
    let categories = lines(CATEGORIES)
        .map(|line| {
            let f: Vec<&'static str> = line.split('|').collect();
            assert_eq!(
                f.len(),
                6,
                "bad category line in assets/sim/categories.txt: {line}"
            );
            Category {
                id: f[0].parse().expect("category id"),
                name: f[1],
                parent_id: f[2].parse().expect("category parent id"),
                types: list(f[3]),
                brands: list(f[4]),
                specs: list(f[5]),
            }
        })
        .collect();
    Words {
        categories,
        colours: lines(COLOURS).collect(),
        models: lines(MODELS).collect(),
        phrases: lines(PHRASES).collect(),
        safety: lines(SAFETY).collect(),
    }
}

pub fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(parse)
}

/// Upper-case ASCII letters of a brand, for model codes and part numbers ("Heinner" → "HEI").
pub fn brand_code(brand: &str) -> String {
    let code: String = brand
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .take(3)
        .collect();
    code.to_ascii_uppercase()
}
