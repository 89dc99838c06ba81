//! Embeds every `patterns/*.toml` file into the binary, in file-name order,
//! so that the built-in pack (and so rule priority ties) is deterministic.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=patterns");
    let mut files: Vec<String> = fs::read_dir("patterns")
        .expect("patterns/ exists at the crate root")
        .map(|e| {
            e.expect("readable patterns/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".toml"))
        .collect();
    files.sort();
    let mut code = String::from("/// Built-in rule files: (file name, contents), sorted by name.\npub(crate) static BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n");
    for name in &files {
        println!("cargo:rerun-if-changed=patterns/{name}");
        let abs = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap())
            .join("patterns")
            .join(name);
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    fs::write(out, code).expect("write builtin_rules.rs");
}
