//! JCS bytes of a typed value, written straight from its `Serialize` impl.
//!
//! [`JcsWriter::write`] gives the same bytes as `canonicalize(&serde_json::to_value(v)?)`
//! without building the tree: struct members are written in declaration order, then put
//! in UTF-16 order of their names. Floats, integers beyond ±2^53, byte strings, maps and
//! the rarer enum forms are not handled here (the caller then takes the reference path):
//! the types that are signed and hashed use none of them.

use std::fmt;

use serde::ser::{self, Impossible, Serialize};

use super::{write_string, write_u64, EXACT_INT_MAX};

/// A value this writer leaves to the reference path (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("value not supported by the direct JCS writer")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Unsupported
    }
}

/// Writes JCS bytes of typed values, reusing its buffers from one value to the next.
#[derive(Debug, Default)]
pub struct JcsWriter {
    out: Vec<u8>,
    /// Members of the structs being written: name and byte range in `out` (a stack;
    /// each struct owns the entries above the length it found).
    members: Vec<(&'static str, usize, usize)>,
    /// Where a struct's members are copied while they are put in order.
    scratch: Vec<u8>,
}

impl JcsWriter {
    /// A writer with empty buffers.
    pub fn new() -> Self {
        JcsWriter::default()
    }

    /// The JCS bytes of `value`, valid until the next write.
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<&[u8], Unsupported> {
        self.out.clear();
        self.members.clear();
        value.serialize(&mut *self)?;
        Ok(&self.out)
    }

    /// Appends `value` to the bytes written so far (for callers that frame a value).
    pub fn append<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        value.serialize(&mut *self)
    }

    /// Appends raw bytes, which the caller knows to be canonical in place.
    pub fn append_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Appends a string in JCS form.
    pub fn append_str(&mut self, s: &str) {
        write_string(s, &mut self.out);
    }

    /// Starts a new value, forgetting what was written.
    pub fn clear(&mut self) {
        self.out.clear();
        self.members.clear();
    }

    /// The bytes written since the last clear.
    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    fn int(&mut self, negative: bool, magnitude: u64) -> Result<(), Unsupported> {
        if magnitude > EXACT_INT_MAX {
            return Err(Unsupported);
        }
        if negative && magnitude != 0 {
            self.out.push(b'-');
        }
        write_u64(magnitude, &mut self.out);
        Ok(())
    }
}

fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

impl<'a> ser::Serializer for &'a mut JcsWriter {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Struct<'a>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.int(v < 0, v.unsigned_abs())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.int(false, v)
    }
    fn serialize_f32(self, _v: f32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        write_string(v.encode_utf8(&mut [0; 4]), &mut self.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        write_string(v, &mut self.out);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>, Unsupported> {
        self.out.push(b'[');
        Ok(Seq {
            w: self,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Struct<'a>, Unsupported> {
        let start = self.out.len();
        self.out.push(b'{');
        let base = self.members.len();
        Ok(Struct {
            w: self,
            start,
            base,
        })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

/// An array being written.
pub struct Seq<'a> {
    w: &'a mut JcsWriter,
    first: bool,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        if !self.first {
            self.w.out.push(b',');
        }
        self.first = false;
        value.serialize(&mut *self.w)
    }
    fn close(self) {
        self.w.out.push(b']');
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close();
        Ok(())
    }
}

/// An object being written: members go out in declaration order, and `end` puts them in
/// JCS order.
pub struct Struct<'a> {
    w: &'a mut JcsWriter,
    /// Offset of the `{`.
    start: usize,
    /// This struct's first entry in `w.members`.
    base: usize,
}

impl ser::SerializeStruct for Struct<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        let at = self.w.out.len();
        write_string(key, &mut self.w.out);
        self.w.out.push(b':');
        value.serialize(&mut *self.w)?;
        let end = self.w.out.len();
        self.w.members.push((key, at, end));
        Ok(())
    }

    fn end(self) -> Result<(), Unsupported> {
        let w = self.w;
        let members = &mut w.members[self.base..];
        // Serde gives each name once per struct; equal names would make the order moot.
        members.sort_unstable_by(|a, b| utf16_cmp(a.0, b.0));
        let body = self.start + 1;
        w.scratch.clear();
        w.scratch.extend_from_slice(&w.out[body..]);
        w.out.truncate(body);
        for (i, &(_, s, e)) in members.iter().enumerate() {
            if i > 0 {
                w.out.push(b',');
            }
            w.out.extend_from_slice(&w.scratch[s - body..e - body]);
        }
        w.out.push(b'}');
        w.members.truncate(self.base);
        Ok(())
    }
}
