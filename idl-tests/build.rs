//! Generates the richer test packages (`acme.common`, `acme.shop.v1`) with a file that
//! nests their modules.

fn main() -> std::io::Result<()> {
    oxidubbo_build::configure()
        .include_file("_includes.rs")
        .compile_protos(&["acme/shop.proto"], &["protos"])
}
