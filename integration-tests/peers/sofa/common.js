'use strict';

// Shared helpers for the sofa-rpc-node test peers (provider.js, consumer.js).
//
// Require this module FIRST, before sofa-rpc-node: it patches net.Server so
// that every numeric-port listen binds to 127.0.0.1 (sofa-rpc-node's RpcServer
// has no host option and would otherwise listen on all interfaces).

const net = require('net');

const LOOPBACK = '127.0.0.1';

// ---------------------------------------------------------------------------
// 1. Listen on loopback only.
// ---------------------------------------------------------------------------
const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, cb]): force host to loopback.
    const rest = args.slice(1);
    if (typeof rest[0] === 'string') rest.shift();
    return originalListen.call(this, Number(first), LOOPBACK, ...rest);
  }
  if (first && typeof first === 'object' && !Array.isArray(first) && first.path == null &&
      (first.port !== undefined || first.host !== undefined)) {
    return originalListen.call(this, Object.assign({}, first, { host: LOOPBACK }), ...args.slice(1));
  }
  return originalListen.apply(this, args);
};

// sofa-rpc-node computes "the local IP" at load time (for consumer URLs it
// writes into ZooKeeper, and as a default publish address): make it loopback
// instead of the machine's external address.
try {
  require('address').ip = () => LOOPBACK;
} catch (_) { /* not installed yet: the peers fail later with a clear error */ }

// ---------------------------------------------------------------------------
// 2. Small logger (sofa-rpc-node requires one). Quiet unless
//    OXIDUBBO_PEER_DEBUG is set; warnings and errors always go to stderr so
//    stdout stays machine-readable.
// ---------------------------------------------------------------------------
function makeLogger(name) {
  const verbose = !!process.env.OXIDUBBO_PEER_DEBUG;
  const util = require('util');
  const out = (level, args) => {
    process.stderr.write(`[${name}] ${level} ${util.format(...args)}\n`);
  };
  return {
    debug: (...a) => { if (verbose) out('DEBUG', a); },
    info: (...a) => { if (verbose) out('INFO', a); },
    warn: (...a) => out('WARN', a),
    error: (...a) => {
      // The provider's fail() method throws on purpose; sofa logs every
      // business exception. Keep that out of the way unless debugging.
      const e = a[0];
      if (!verbose && e && e.expected) return;
      out('ERROR', a);
    },
  };
}

// cluster-client (used by sofa's ZooKeeper registry) has its own console
// logger that writes INFO lines to stdout; send them to our logger instead so
// stdout carries only READY / JSON lines.
function redirectClusterClientLogger(logger) {
  let target;
  try {
    target = require('cluster-client/lib/default_logger');
  } catch (_) {
    return;
  }
  for (const level of [ 'debug', 'info', 'warn', 'error' ]) {
    target[level] = (...a) => logger[level](...a);
  }
}

// ---------------------------------------------------------------------------
// 3. Tiny argv parser: --name value | --name=value | --flag
// ---------------------------------------------------------------------------
function parseArgs(argv, spec) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument: ${a}`);
    let key = a.slice(2);
    let value;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    if (!(key in spec)) throw new Error(`unknown option: --${key}`);
    if (spec[key] === 'flag') {
      opts[key] = true;
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new Error(`option --${key} needs a value`);
      value = argv[++i];
    }
    opts[key] = value;
  }
  return opts;
}

// "127.0.0.1:2181" (optionally followed by a chroot path) -> checked string.
function checkHostPort(value, what) {
  const m = /^([^:/]+):(\d+)$/.exec(value || '');
  if (!m) throw new Error(`${what} must be HOST:PORT, got ${JSON.stringify(value)}`);
  return { host: m[1], port: Number(m[2]) };
}

// Rejects after ms with an Error(message).
function withTimeout(promise, ms, message) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([ promise, t ]).finally(() => clearTimeout(timer));
}

module.exports = {
  LOOPBACK,
  makeLogger,
  redirectClusterClientLogger,
  parseArgs,
  checkHostPort,
  withTimeout,
};
