'use strict';

// Runtime patches applied by provider.js to dubbo-remoting@2.1.4 (nothing in
// node_modules is modified on disk). Each patch checks the installed version
// so that an upgrade fails loudly instead of silently changing behaviour.

const path = require('path');

const PATCHED_VERSION = '2.1.4';

function dubboRemotingDir() {
  return path.dirname(require.resolve('dubbo-remoting/package.json'));
}

function checkVersion() {
  const v = require('dubbo-remoting/package.json').version;
  if (v !== PATCHED_VERSION) {
    throw new Error(`patches.js was written for dubbo-remoting@${PATCHED_VERSION}, found ${v}`);
  }
}

const RESPONSE_WITH_EXCEPTION = 0;
const RESPONSE_VALUE = 1;
const RESPONSE_NULL_VALUE = 2;

// Bug: Response#encode writes a falsy result (0, '', false, null) without the
// one-byte result flag that must precede it, so a spec-following consumer reads
// the value itself as the flag. Replacement for normal (non-event) responses
// with status OK: always write the flag; null/undefined -> RESPONSE_NULL_VALUE.
// Heartbeats and error statuses keep the original code path.
function fixFalsyResults() {
  checkVersion();
  const Response = require('dubbo-remoting/lib/protocol/response');
  const { getSerializationByName } = require('dubbo-remoting/lib/serialize');
  const original = Response.prototype.encode;
  if (original.__oxidubboPatched) return;

  const encode = function encode(options = {}) {
    if (this.isEvent || this.status !== Response.OK) {
      return original.call(this, options);
    }
    const { codecType, classMap } = options;
    const output = getSerializationByName(codecType || 'hessian2').serialize();
    const bytes = output.bytes;
    bytes.put(0xda);
    bytes.put(0xbb);
    bytes.put(output.contentTypeId); // response: no request/two-way/event bits
    bytes.put(this.status);
    bytes.putLong(this.id);
    bytes.skip(4); // body length, filled in below

    const data = this.data;
    if (data == null) {
      output.writeByte(RESPONSE_NULL_VALUE);
    } else if (data instanceof Error || (typeof data.$class === 'string' && data.$class.includes('Exception'))) {
      output.writeByte(RESPONSE_WITH_EXCEPTION);
      output.writeObject(data.$class ? data : { $class: 'java.lang.Exception', $: data }, classMap);
    } else {
      output.writeByte(RESPONSE_VALUE);
      output.writeObject(data, classMap);
    }
    const bodyLength = bytes.position() - 16;
    bytes._bytes.writeInt32BE(bodyLength, 12);
    return output.get();
  };
  encode.__oxidubboPatched = true;
  Response.prototype.encode = encode;
}

// Shared machinery for typed decoding: dubbo-remoting decodes everything with
// hessian.js's withType=false, which drops Java class names (a
// com.example.User becomes a plain object, an int and a long both become a
// number). hooks.beforeRead(n) is asked before the n-th readObject() of the
// current message decode (1-based) whether that value must keep its types.
let typedReads = null;
function installTypedReads() {
  if (typedReads) return typedReads;
  checkVersion();
  const hessianSerialization = require('dubbo-remoting/lib/serialize/hessian');

  // The decoder instance lives inside dubbo-remoting's copy of hessian.js:
  // make sure it is the same copy we patch.
  const ours = require.resolve('hessian.js');
  const theirs = require.resolve('hessian.js', { paths: [ dubboRemotingDir() ] });
  if (ours !== theirs) throw new Error('dubbo-remoting uses another copy of hessian.js; cannot patch');
  const DecoderV2 = require('hessian.js').DecoderV2;

  // hessian.js's withType keeps class names of objects, lists and maps but
  // still returns longs and doubles as bare numbers, which would re-encode as
  // int. While forced, wrap them as {$class: 'long'|'double', $: value}.
  // (Limitation: a map whose keys are longs or doubles loses its keys.)
  let forceTypes = false;
  const baseRead = DecoderV2.prototype.read;
  const WRAPPED = { readLong: 'long', readDouble: 'double' };
  DecoderV2.prototype.read = function read(withType) {
    if (forceTypes) {
      const code = this.byteBuffer.get(this.byteBuffer.position());
      const method = this.BYTE_CODES[code];
      if (WRAPPED[method]) return { $class: WRAPPED[method], $: this[method]() };
    }
    return baseRead.call(this, withType || forceTypes);
  };

  // dubbo-remoting's hessian "input" is one shared object: get it and wrap
  // its readers.
  const input = hessianSerialization.deserialize(Buffer.alloc(0));
  typedReads = { state: null };
  const readUTF = input.readUTF;
  input.readUTF = function patchedReadUTF() {
    const s = readUTF.call(this);
    const st = typedReads.state;
    if (st) {
      st.strings++;
      if (st.onString) st.onString(st, s);
    }
    return s;
  };
  const readObject = input.readObject;
  input.readObject = function patchedReadObject() {
    const st = typedReads.state;
    if (!st) return readObject.call(this);
    st.objects++;
    let value;
    if (st.wantTyped(st)) {
      forceTypes = true;
      try {
        value = readObject.call(this);
      } finally {
        forceTypes = false;
      }
    } else {
      value = readObject.call(this);
    }
    if (st.onObject) st.onObject(st, value);
    return value;
  };
  return typedReads;
}

// Wraps Klass.decode so that typedReads.state is set (from makeState()) while
// one message is decoded.
function wrapDecode(Klass, makeState) {
  if (Klass.decode.__oxidubboPatched) return;
  const tr = installTypedReads();
  const originalDecode = Klass.decode;
  const decode = function decode(buf, options) {
    tr.state = Object.assign({ strings: 0, objects: 0 }, makeState(buf));
    try {
      return originalDecode.call(this, buf, options);
    } finally {
      tr.state = null;
    }
  };
  decode.__oxidubboPatched = true;
  Klass.decode = decode;
}

const FLAG_EVENT = 0x20;

// Provider side: decode call *arguments* (not the attachments) with their
// Java types, so each argument is a {$class, $} tree that re-encodes to the
// same Java types (echo sends back what it got). Handlers that want plain
// values use js-to-java's revert(). Request.decode reads: readObject (dubbo
// version), readUTF x4 (path, version, method, parameter descriptor),
// readObject per argument, readObject (attachments).
function decodeArgumentsWithTypes() {
  const utils = require('dubbo-remoting/lib/utils');
  wrapDecode(require('dubbo-remoting/lib/protocol/request'), buf => ({
    event: (buf[2] & FLAG_EVENT) !== 0,
    argsLeft: 0,
    onString(st, s) {
      if (!st.event && st.strings === 4) st.argsLeft = utils.desc2classArray(s).length;
    },
    wantTyped(st) {
      if (st.argsLeft > 0) {
        st.argsLeft--;
        return true;
      }
      return false;
    },
  }));
}

// Consumer side: decode the *result value* of responses with its Java types.
// Response.decode reads: readObject (result flag), then for flags 1 (value)
// and 4 (value with attachments) the value, then maybe attachments.
function decodeResultsWithTypes() {
  wrapDecode(require('dubbo-remoting/lib/protocol/response'), buf => ({
    plain: (buf[2] & FLAG_EVENT) !== 0 || buf[3] !== 20,
    flag: null,
    onObject(st, value) {
      if (st.objects === 1) st.flag = value;
    },
    wantTyped(st) {
      return !st.plain && st.objects === 2 && (st.flag === RESPONSE_VALUE || st.flag === 4);
    },
  }));
}

module.exports = { fixFalsyResults, decodeArgumentsWithTypes, decodeResultsWithTypes };
