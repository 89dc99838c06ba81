//! Embeds every `patterns/*.toml` file, then every
//! `patterns/providers/*.toml` provider table, into the binary, each group
//! in file-name order, so that the built-in pack (and so rule priority
//! ties) is deterministic.

use std::{env, fs, path::Path};

/// The `.toml` files of `dir` (relative to the crate root), sorted.
fn toml_files(dir: &str) -> Vec<String> {
    println!("cargo:rerun-if-changed={dir}");
    let mut files: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}/ exists at the crate root: {e}"))
        .map(|e| {
            e.expect("readable directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".toml"))
        .collect();
    files.sort();
    files
}

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").unwrap();
    let mut code = String::from("/// Built-in rule files: (name under patterns/, contents), rule files then provider tables, each sorted by name.\npub(crate) static BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n");
    for (dir, label) in [("patterns", ""), ("patterns/providers", "providers/")] {
        for name in toml_files(dir) {
            println!("cargo:rerun-if-changed={dir}/{name}");
            let abs = Path::new(&root).join(dir).join(&name);
            code.push_str(&format!(
                "    ({:?}, include_str!({:?})),\n",
                format!("{label}{name}"),
                abs.display().to_string()
            ));
        }
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    fs::write(out, code).expect("write builtin_rules.rs");
}
