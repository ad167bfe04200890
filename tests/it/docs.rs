//! The project's documents are referenced from the code: a section sign with a number cites a
//! section of `docs/emag-api.md`, and a `docs/NAME.md[#anchor]` path names a document. Both
//! must resolve, so a renumbered section or a renamed file fails here instead of leaving a
//! comment that points nowhere.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The section sign, written as an escape so this file does not cite anything itself.
const SECTION: char = '\u{a7}';

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every UTF-8 file under `dir`, recursively, in a stable order.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Section numbers cited in `text` (`7`, `7.3`, `12.10`), each with its 1-based line. A
/// number ending a sentence ("see §6.") loses the full stop.
fn cited_sections(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find(SECTION) {
            rest = &rest[at + SECTION.len_utf8()..];
            let number: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let number = number.trim_end_matches('.');
            if !number.is_empty() && !number.starts_with('.') {
                out.push((n + 1, number.to_string()));
            }
        }
    }
    out
}

/// `docs/…md` paths named in `text`, with their optional `#anchor`, each with its line.
fn doc_paths(text: &str) -> Vec<(usize, String, Option<String>)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find("docs/") {
            let start = from + at;
            from = start + "docs/".len();
            // "mydocs/" or "target/doc/docs/" are other folders.
            let before = line[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-') {
                continue;
            }
            let path: String = line[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "_-./".contains(*c))
                .collect();
            let path = path.trim_end_matches('.').to_string();
            if !path.ends_with(".md") {
                continue;
            }
            let after = &line[start + path.len()..];
            let anchor = after.strip_prefix('#').map(|a| {
                a.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "_-.".contains(*c))
                    .collect::<String>()
                    .trim_end_matches('.')
                    .to_string()
            });
            out.push((n + 1, path, anchor.filter(|a| !a.is_empty())));
        }
    }
    out
}

/// The anchors a Markdown document offers: explicit `id="…"` attributes and the slugs a
/// renderer gives its headings (lower case, spaces to `-`, punctuation dropped).
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in markdown.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("id=\"") {
            rest = &rest[at + 4..];
            if let Some(end) = rest.find('"') {
                out.insert(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
        if let Some(heading) = line.trim_start().strip_prefix('#') {
            let slug: String = heading
                .trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect();
            out.insert(slug);
        }
    }
    out
}

/// Every broken reference in the given files, as `file:line: what` lines.
fn broken_references(
    root: &Path,
    cite_sources: &[(String, String)],
    path_sources: &[(String, String)],
) -> Vec<String> {
    let mut broken = Vec::new();
    let api = fs::read_to_string(root.join("docs/emag-api.md")).unwrap_or_default();
    let api_anchors = anchors(&api);
    for (name, text) in cite_sources {
        for (line, number) in cited_sections(text) {
            if !api_anchors.contains(&format!("s{number}")) {
                broken.push(format!(
                    "{name}:{line}: {SECTION}{number} has no anchor s{number} in docs/emag-api.md"
                ));
            }
        }
    }
    for (name, text) in path_sources {
        for (line, path, anchor) in doc_paths(text) {
            let Ok(doc) = fs::read_to_string(root.join(&path)) else {
                broken.push(format!("{name}:{line}: {path} does not exist"));
                continue;
            };
            if let Some(anchor) = anchor
                && !anchors(&doc).contains(&anchor)
            {
                broken.push(format!("{name}:{line}: {path} has no anchor #{anchor}"));
            }
        }
    }
    broken
}

fn read_all(root: &Path, dirs: &[&str], files: &[&str]) -> Vec<(String, String)> {
    let mut paths: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| files_under(&root.join(d)))
        .collect();
    paths.extend(files.iter().map(|f| root.join(f)));
    paths
        .into_iter()
        .filter_map(|p| {
            let text = fs::read_to_string(&p).ok()?;
            let name = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            Some((name, text))
        })
        .collect()
}

#[test]
fn every_section_and_document_the_code_cites_exists() {
    let root = root();
    let cites = read_all(&root, &["src", "tests", "examples"], &[]);
    let paths = read_all(&root, &["src"], &["README.md", "config.example.toml"]);
    let cited = cites
        .iter()
        .map(|(_, t)| cited_sections(t).len())
        .sum::<usize>();
    assert!(
        cited > 20,
        "found only {cited} section citations; is the scan reading the sources?"
    );
    let broken = broken_references(&root, &cites, &paths);
    assert!(
        broken.is_empty(),
        "broken documentation references:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_three_documents_exist_and_the_readme_links_them() {
    let root = root();
    let readme = fs::read_to_string(root.join("README.md")).expect("README.md");
    for doc in [
        "docs/emag-api.md",
        "docs/architecture.md",
        "docs/performance.md",
    ] {
        assert!(root.join(doc).is_file(), "{doc} is missing");
        assert!(readme.contains(doc), "README.md does not link {doc}");
    }
}

#[test]
fn the_architecture_page_names_every_top_level_module() {
    let root = root();
    let lib = fs::read_to_string(root.join("src/lib.rs")).expect("src/lib.rs");
    let page = fs::read_to_string(root.join("docs/architecture.md")).expect("architecture.md");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .collect();
    assert!(modules.len() >= 12, "read only {modules:?} from src/lib.rs");
    let unnamed: Vec<&&str> = modules
        .iter()
        .filter(|m| !page.contains(&format!("`{m}`")) && !page.contains(&format!("`{m}/`")))
        .collect();
    assert!(
        unnamed.is_empty(),
        "docs/architecture.md does not name these modules of src/lib.rs: {unnamed:?}"
    );
}

#[test]
fn a_missing_section_a_missing_file_and_a_missing_anchor_are_reported() {
    let root = root();
    let code = format!(
        "// see {SECTION}7.3 and {SECTION}99.1.\n// also docs/emag-api.md#s8 and docs/nowhere.md\n\
         // and docs/emag-api.md#no-such-anchor, and mydocs/ignored.md"
    );
    let sources = vec![("fake.rs".to_string(), code)];
    let broken = broken_references(&root, &sources, &sources);
    assert_eq!(
        broken,
        vec![
            format!("fake.rs:1: {SECTION}99.1 has no anchor s99.1 in docs/emag-api.md"),
            "fake.rs:2: docs/nowhere.md does not exist".to_string(),
            "fake.rs:3: docs/emag-api.md has no anchor #no-such-anchor".to_string(),
        ]
    );
}

#[test]
fn citations_and_paths_are_read_as_written() {
    let text = format!(
        "a {SECTION}6. b {SECTION}12.10, {SECTION}3\u{2013}{SECTION}9 ({SECTION}7.3)\n\
         `docs/performance.md` and [x](docs/architecture.md#recipes)."
    );
    let numbers: Vec<String> = cited_sections(&text).into_iter().map(|c| c.1).collect();
    assert_eq!(numbers, ["6", "12.10", "3", "9", "7.3"]);
    let paths: Vec<(String, Option<String>)> =
        doc_paths(&text).into_iter().map(|p| (p.1, p.2)).collect();
    assert_eq!(
        paths,
        [
            ("docs/performance.md".to_string(), None),
            (
                "docs/architecture.md".to_string(),
                Some("recipes".to_string())
            ),
        ]
    );
}
