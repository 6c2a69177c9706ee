//! A YAML document as a tree whose every key and value keeps its line and column, read
//! with `yaml-rust2`'s event parser (the crate's own tree has no positions).

use std::collections::BTreeMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl From<Marker> for Pos {
    fn from(m: Marker) -> Self {
        // yaml-rust2 counts lines from 1 and columns from 0.
        Pos {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

/// A node and where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Yaml {
    pub(crate) pos: Pos,
    pub(crate) kind: Kind,
}

/// What a node is.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// A scalar; `plain` when unquoted (only a plain scalar can be null).
    Scalar { text: String, plain: bool },
    /// A mapping: `(key, key position, value)` in file order.
    Map(Vec<(String, Pos, Yaml)>),
    /// A sequence.
    Seq(Vec<Yaml>),
}

impl Yaml {
    /// Whether the node is YAML's null (`~`, `null`, or nothing).
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The value at a dotted path of mapping keys, if it is a scalar.
    pub(crate) fn scalar_at(&self, path: &str) -> Option<&str> {
        let mut node = self;
        for segment in path.split('.') {
            let Kind::Map(entries) = &node.kind else {
                return None;
            };
            node = entries
                .iter()
                .find(|(k, _, _)| k == segment)
                .map(|(_, _, v)| v)?;
        }
        match &node.kind {
            Kind::Scalar { text, .. } if !node.is_null() => Some(text),
            _ => None,
        }
    }
}

/// A syntax error: what and where.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

enum Frame {
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<(String, Pos, Yaml)>,
        key: Option<(String, Pos)>,
    },
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Yaml>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: BTreeMap<usize, Yaml>,
    root: Option<Yaml>,
    error: Option<SyntaxError>,
}

impl Builder {
    fn fail(&mut self, pos: Pos, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                pos,
                message: message.into(),
            });
        }
    }

    fn finish(&mut self, anchor: usize, node: Yaml) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.push(node);
    }

    fn push(&mut self, node: Yaml) {
        let mut bad_key = None;
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some((k, kp)) => entries.push((k, kp, node)),
                None => match node.kind {
                    Kind::Scalar { text, .. } => *key = Some((text, node.pos)),
                    _ => {
                        *key = Some((String::new(), node.pos));
                        bad_key = Some(node.pos);
                    }
                },
            },
        }
        if let Some(pos) = bad_key {
            self.fail(pos, "a mapping key must be a scalar");
        }
    }
}

/// Applies YAML's merge key: `<<: *base` (or a list of them) adds the keys the mapping
/// does not have itself.
fn merge(entries: Vec<(String, Pos, Yaml)>) -> Vec<(String, Pos, Yaml)> {
    if !entries.iter().any(|(k, _, _)| k == "<<") {
        return entries;
    }
    let (merged, mut own): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _, _)| k == "<<");
    for (_, _, value) in merged {
        let sources = match value.kind {
            Kind::Seq(items) => items,
            _ => vec![value],
        };
        for source in sources {
            if let Kind::Map(inherited) = source.kind {
                for entry in inherited {
                    if !own.iter().any(|(k, _, _)| *k == entry.0) {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos::from(mark);
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let plain = style == TScalarStyle::Plain;
                let node = Yaml {
                    pos,
                    kind: Kind::Scalar { text, plain },
                };
                self.finish(anchor, node);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.push(Yaml { pos, ..node }),
                None => self.fail(pos, "an alias to an unknown anchor"),
            },
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                pos,
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                pos,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingEnd | Event::SequenceEnd => {
                let (anchor, node) = match self.stack.pop() {
                    Some(Frame::Map {
                        pos,
                        anchor,
                        entries,
                        ..
                    }) => (
                        anchor,
                        Yaml {
                            pos,
                            kind: Kind::Map(merge(entries)),
                        },
                    ),
                    Some(Frame::Seq { pos, anchor, items }) => (
                        anchor,
                        Yaml {
                            pos,
                            kind: Kind::Seq(items),
                        },
                    ),
                    None => return,
                };
                self.finish(anchor, node);
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

/// Parses the first document of `text`; an empty text is an empty mapping.
pub(crate) fn parse(text: &str) -> Result<Yaml, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| SyntaxError {
        pos: Pos::from(*e.marker()),
        message: e.info().to_owned(),
    })?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    Ok(builder.root.unwrap_or(Yaml {
        pos: Pos { line: 1, column: 1 },
        kind: Kind::Map(Vec::new()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_lines_and_columns() {
        let y = parse("dubbo:\n  application:\n    name: app # c\n").unwrap();
        let Kind::Map(top) = &y.kind else {
            panic!("{y:?}")
        };
        assert_eq!(top[0].1, Pos { line: 1, column: 1 });
        let Kind::Map(dubbo) = &top[0].2.kind else {
            panic!()
        };
        assert_eq!(dubbo[0].1, Pos { line: 2, column: 3 });
        assert_eq!(y.scalar_at("dubbo.application.name"), Some("app"));
    }

    #[test]
    fn anchors_and_merge_keys() {
        let y = parse("base: &b\n  a: 1\n  b: 2\nx:\n  <<: *b\n  b: 3\n").unwrap();
        assert_eq!(y.scalar_at("x.a"), Some("1"));
        assert_eq!(y.scalar_at("x.b"), Some("3"));
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse("a:\n  b: [1, 2\n").unwrap_err();
        assert!(e.pos.line >= 2, "{e:?}");
    }
}
