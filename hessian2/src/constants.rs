//! Hessian 2.0 tag bytes and compact-form ranges (see `DUBBO_WIRE.md` §3.1).

/// `'A'`: binary, non-final chunk.
pub(crate) const BC_BINARY_CHUNK: u8 = b'A';
/// `'B'`: binary, final chunk.
pub(crate) const BC_BINARY: u8 = b'B';
/// `0x20`: binary, length 0–15 in the tag.
pub(crate) const BC_BINARY_DIRECT: u8 = 0x20;
/// Largest length of the one-byte binary form.
pub(crate) const BINARY_DIRECT_MAX: usize = 0x0f;
/// `0x34`: binary, length 0–1023 in the tag and one byte.
pub(crate) const BC_BINARY_SHORT: u8 = 0x34;
/// Largest length of the two-byte binary form.
pub(crate) const BINARY_SHORT_MAX: usize = 0x3ff;

/// `'C'`: class definition.
pub(crate) const BC_CLASS_DEF: u8 = b'C';
/// `'D'`: 64-bit IEEE double.
pub(crate) const BC_DOUBLE: u8 = b'D';
/// `0x5b`: double 0.0.
pub(crate) const BC_DOUBLE_ZERO: u8 = 0x5b;
/// `0x5c`: double 1.0.
pub(crate) const BC_DOUBLE_ONE: u8 = 0x5c;
/// `0x5d`: double from a signed byte.
pub(crate) const BC_DOUBLE_BYTE: u8 = 0x5d;
/// `0x5e`: double from a signed 16-bit int.
pub(crate) const BC_DOUBLE_SHORT: u8 = 0x5e;
/// `0x5f`: double = int32 / 1000.
pub(crate) const BC_DOUBLE_MILL: u8 = 0x5f;

/// `'F'`: false.
pub(crate) const BC_FALSE: u8 = b'F';
/// `'T'`: true.
pub(crate) const BC_TRUE: u8 = b'T';
/// `'N'`: null.
pub(crate) const BC_NULL: u8 = b'N';

/// `'I'`: 32-bit int.
pub(crate) const BC_INT: u8 = b'I';
/// `0x90`: int zero of the one-byte form (`0x80`–`0xbf`).
pub(crate) const BC_INT_ZERO: u8 = 0x90;
/// `0xc8`: int zero of the two-byte form (`0xc0`–`0xcf`).
pub(crate) const BC_INT_BYTE_ZERO: u8 = 0xc8;
/// `0xd4`: int zero of the three-byte form (`0xd0`–`0xd7`).
pub(crate) const BC_INT_SHORT_ZERO: u8 = 0xd4;

/// `'L'`: 64-bit long.
pub(crate) const BC_LONG: u8 = b'L';
/// `0xe0`: long zero of the one-byte form (`0xd8`–`0xef`).
pub(crate) const BC_LONG_ZERO: u8 = 0xe0;
/// `0xf8`: long zero of the two-byte form (`0xf0`–`0xff`).
pub(crate) const BC_LONG_BYTE_ZERO: u8 = 0xf8;
/// `0x3c`: long zero of the three-byte form (`0x38`–`0x3f`).
pub(crate) const BC_LONG_SHORT_ZERO: u8 = 0x3c;
/// `0x59`: long written as a 32-bit int.
pub(crate) const BC_LONG_INT: u8 = 0x59;

/// `0x4a`: date in milliseconds.
pub(crate) const BC_DATE: u8 = 0x4a;
/// `0x4b`: date in minutes.
pub(crate) const BC_DATE_MINUTE: u8 = 0x4b;

/// `'H'`: untyped map.
pub(crate) const BC_MAP_UNTYPED: u8 = b'H';
/// `'M'`: typed map.
pub(crate) const BC_MAP: u8 = b'M';

/// `0x55`: typed variable-length list.
pub(crate) const BC_LIST_VARIABLE: u8 = 0x55;
/// `'V'`: typed fixed-length list.
pub(crate) const BC_LIST_FIXED: u8 = b'V';
/// `0x57`: untyped variable-length list.
pub(crate) const BC_LIST_VARIABLE_UNTYPED: u8 = 0x57;
/// `0x58`: untyped fixed-length list.
pub(crate) const BC_LIST_FIXED_UNTYPED: u8 = 0x58;
/// `0x70`: typed fixed list of length 0 (`0x70`–`0x77`).
pub(crate) const BC_LIST_DIRECT: u8 = 0x70;
/// `0x78`: untyped fixed list of length 0 (`0x78`–`0x7f`).
pub(crate) const BC_LIST_DIRECT_UNTYPED: u8 = 0x78;
/// Largest length of the compact list forms.
pub(crate) const LIST_DIRECT_MAX: usize = 7;

/// `'O'`: object instance with an int class index.
pub(crate) const BC_OBJECT: u8 = b'O';
/// `0x60`: object instance of class 0 (`0x60`–`0x6f`).
pub(crate) const BC_OBJECT_DIRECT: u8 = 0x60;
/// Largest class index of the compact instance form.
pub(crate) const OBJECT_DIRECT_MAX: usize = 0x0f;

/// `'Q'`: shared reference.
pub(crate) const BC_REF: u8 = b'Q';
/// `'Z'`: end of a variable-length list or a map.
pub(crate) const BC_END: u8 = b'Z';

/// `'R'`: string, non-final chunk.
pub(crate) const BC_STRING_CHUNK: u8 = b'R';
/// `'S'`: string, final chunk.
pub(crate) const BC_STRING: u8 = b'S';
/// Largest length of the one-byte string form (`0x00`–`0x1f`).
pub(crate) const STRING_DIRECT_MAX: usize = 0x1f;
/// `0x30`: string of length 0–1023 (`0x30`–`0x33`).
pub(crate) const BC_STRING_SHORT: u8 = 0x30;
/// Largest length of the two-byte string form.
pub(crate) const STRING_SHORT_MAX: usize = 0x3ff;
/// Java's string chunk size, in UTF-16 units.
pub(crate) const STRING_CHUNK_UNITS: usize = 0x8000;
