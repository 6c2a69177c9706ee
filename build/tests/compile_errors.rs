//! A `.proto` file that does not compile is a clear error (naming the file and what is
//! wrong), never a panic, and writes nothing.

use std::path::{Path, PathBuf};

/// A fresh folder under the system's temporary one, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let dir =
            std::env::temp_dir().join(format!("oxidubbo-build-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Folder(dir)
    }

    fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.0.join(file);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn compile(dir: &Path, proto: &Path) -> std::io::Result<()> {
    oxidubbo_build::configure()
        .out_dir(dir)
        .emit_rerun_if_changed(false)
        .compile_protos(&[proto], &[dir])
}

#[test]
fn a_syntax_error_names_the_file() {
    let dir = Folder::new("syntax");
    let proto = dir.write(
        "bad.proto",
        "syntax = \"proto3\";\nmessage Broken {\n  string = 1;\n}\n",
    );
    let err = compile(&dir.0, &proto).unwrap_err().to_string();
    assert!(err.starts_with("bad.proto:3:"), "{err}");
    assert!(err.contains("expected an identifier"), "{err}");
    assert!(!dir.0.join("_.rs").exists());
}

#[test]
fn an_unknown_type_and_a_missing_import_are_errors() {
    let dir = Folder::new("resolve");
    let proto = dir.write(
        "svc.proto",
        "syntax = \"proto3\";\npackage p;\nservice S { rpc M(Nope) returns (Nope); }\n",
    );
    let err = compile(&dir.0, &proto).unwrap_err().to_string();
    assert!(err.starts_with("svc.proto:3:"), "{err}");
    assert!(err.contains("Nope"), "{err}");

    let proto = dir.write(
        "imports.proto",
        "syntax = \"proto3\";\nimport \"missing/file.proto\";\n",
    );
    let err = compile(&dir.0, &proto).unwrap_err().to_string();
    assert!(err.contains("missing/file.proto"), "{err}");
    assert!(!dir.0.join("p.rs").exists(), "nothing written");
}

#[test]
fn a_file_outside_the_includes_is_an_error() {
    let dir = Folder::new("outside");
    let other = Folder::new("outside-other");
    let proto = other.write("x.proto", "syntax = \"proto3\";\n");
    assert!(compile(&dir.0, &proto).is_err());
    assert!(compile(&dir.0, &dir.0.join("absent.proto")).is_err());
}
