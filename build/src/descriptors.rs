//! The descriptors generated code embeds per package: the package's files and every file
//! they import, without source info, as an encoded `FileDescriptorSet`.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;
use prost_types::{FileDescriptorProto, FileDescriptorSet};

/// The files of a compiled set, by name.
pub(crate) struct Files {
    by_name: BTreeMap<String, FileDescriptorProto>,
    /// File names in the set's order (dependencies first, as compilers emit them).
    order: Vec<String>,
}

impl Files {
    pub(crate) fn new(fds: &FileDescriptorSet) -> Files {
        let mut by_name = BTreeMap::new();
        let mut order = Vec::new();
        for file in &fds.file {
            let file = FileDescriptorProto {
                source_code_info: None,
                ..file.clone()
            };
            order.push(file.name().to_owned());
            by_name.insert(file.name().to_owned(), file);
        }
        Files { by_name, order }
    }

    /// The encoded set of `package`'s files and of everything they import.
    pub(crate) fn encoded_for_package(&self, package: &str) -> Vec<u8> {
        let mut needed = BTreeSet::new();
        let mut pending: Vec<&str> = self
            .by_name
            .values()
            .filter(|f| f.package() == package)
            .map(|f| f.name())
            .collect();
        while let Some(name) = pending.pop() {
            if !needed.insert(name.to_owned()) {
                continue;
            }
            if let Some(file) = self.by_name.get(name) {
                pending.extend(file.dependency.iter().map(String::as_str));
            }
        }
        let file = self
            .order
            .iter()
            .filter(|name| needed.contains(*name))
            .filter_map(|name| self.by_name.get(name).cloned())
            .collect();
        FileDescriptorSet { file }.encode_to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, package: &str, deps: &[&str]) -> FileDescriptorProto {
        FileDescriptorProto {
            name: Some(name.into()),
            package: Some(package.into()),
            dependency: deps.iter().map(|d| (*d).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_package_takes_its_files_and_their_imports_in_order() {
        let fds = FileDescriptorSet {
            file: vec![
                file("google/protobuf/empty.proto", "google.protobuf", &[]),
                file(
                    "common.proto",
                    "shop.common",
                    &["google/protobuf/empty.proto"],
                ),
                file("unrelated.proto", "other", &[]),
                file("a.proto", "shop", &["common.proto"]),
                file("b.proto", "shop", &[]),
            ],
        };
        let encoded = Files::new(&fds).encoded_for_package("shop");
        let set = FileDescriptorSet::decode(encoded.as_slice()).unwrap();
        let names: Vec<&str> = set.file.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            [
                "google/protobuf/empty.proto",
                "common.proto",
                "a.proto",
                "b.proto"
            ]
        );
    }
}
