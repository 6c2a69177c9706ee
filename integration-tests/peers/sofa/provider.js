#!/usr/bin/env node
'use strict';

// A Dubbo 2 (hessian2) provider built on sofa-rpc-node + dubbo-remoting, used
// as an independent peer by oxidubbo's integration tests.
//
//   node provider.js [--port N] [--zk 127.0.0.1:PORT]
//                    [--interface NAME] [--version V] [--group G] [--zk-root /dubbo]
//
// Prints exactly one line "READY <port>" on stdout once it serves (and, with
// --zk, once its provider URL is registered under /dubbo). Everything else goes
// to stderr. Stops on SIGTERM/SIGINT, when stdin (if a pipe) is closed, or when
// its parent process goes away.
//
// See README.md for the service definition and the runtime patches applied.

const common = require('./common'); // must come first: loopback-only listen
const defaults = require('./service_def');

const USAGE = 'usage: node provider.js [--port N] [--zk HOST:PORT]\n' +
  '         [--interface NAME] [--version V] [--group G] [--zk-root PATH]';

let opts;
try {
  opts = common.parseArgs(process.argv.slice(2), {
    port: 'value', zk: 'value', help: 'flag',
    interface: 'value', version: 'value', group: 'value', 'zk-root': 'value',
  });
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  if (opts.port !== undefined && !/^\d+$/.test(opts.port)) throw new Error('--port must be a number');
  if (opts.zk !== undefined) common.checkHostPort(opts.zk, '--zk');
  if (opts['zk-root'] !== undefined && !/^\/[^\s]*$/.test(opts['zk-root'])) throw new Error('--zk-root must start with /');
} catch (err) {
  process.stderr.write(`provider: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}

const patches = require('./patches');
patches.fixFalsyResults();
patches.decodeArgumentsWithTypes();

const java = require('js-to-java');
const { RpcServer } = require('sofa-rpc-node').server;
const { ZookeeperRegistry } = require('sofa-rpc-node').registry;
const dubboProtocol = require('dubbo-remoting');

const INTERFACE = opts.interface || defaults.INTERFACE;
const VERSION = opts.version !== undefined ? opts.version : defaults.VERSION;
const GROUP = opts.group !== undefined ? opts.group : defaults.GROUP;
const ZK_ROOT = opts['zk-root'] || defaults.ZK_ROOT;

const logger = common.makeLogger('sofa-provider');
common.redirectClusterClientLogger(logger);

// Argument values arrive with their Java types kept (see patches.js); most
// methods want plain JS values.
const plain = v => java.revert(v);

function user(id, name, tags) {
  return java('com.example.User', {
    id: java.long(id),
    name: java.String(name),
    tags: java.List(tags.map(t => java.String(t))),
  });
}

// Method bodies must be async functions (sofa-rpc-node checks that).
const greeter = {
  async sayHello(name) {
    return java.String('Hello, ' + plain(name));
  },
  async add(a, b) {
    return java.int(Number(plain(a)) + Number(plain(b)));
  },
  // Returns its argument as received, Java types and class names included.
  async echo(value) {
    return value;
  },
  async getUser(id) {
    const n = Number(plain(id));
    return user(n, 'user-' + n, [ 'a', 'b' ]);
  },
  async fail(message) {
    const err = new Error('fail called: ' + plain(message));
    err.expected = true; // keeps the logger quiet about it
    throw err;
  },
  // Dubbo's generic call ($invoke(String method, String[] parameterTypes, Object[] args)),
  // served the simplest way: the named method is called with the arguments as they
  // arrived (a POJO map stays a map) and its result goes back as it is (no
  // generalization into maps, which Java's GenericFilter would do).
  async $invoke(method, types, args) {
    const name = plain(method);
    if (typeof name !== 'string' || name.startsWith('$') || !Object.prototype.hasOwnProperty.call(greeter, name)) {
      const err = new Error('no such method: ' + name);
      err.expected = true;
      throw err;
    }
    const list = args && Array.isArray(args.$) ? args.$ : (Array.isArray(args) ? args : []);
    return greeter[name](...list);
  },
};

let server;
let registry;
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  // Never hang on the way out.
  setTimeout(() => process.exit(code), 3000).unref();
  try {
    if (server) await server.close();
  } catch (err) {
    logger.warn('close failed: %s', err && err.message);
  }
  try {
    if (registry) await registry.close();
  } catch (err) {
    logger.warn('registry close failed: %s', err && err.message);
  }
  process.exit(code);
}

function watchForExit() {
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  // stdin: only watched when it is a pipe, so that /dev/null or a closed
  // stdin does not stop the provider at once.
  try {
    const st = require('fs').fstatSync(0);
    if (st.isFIFO() || st.isSocket()) {
      process.stdin.on('end', () => shutdown(0));
      process.stdin.on('error', () => shutdown(0));
      process.stdin.resume();
    }
  } catch (_) { /* no stdin */ }
  // Parent gone (e.g. a test process that panicked without killing us).
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown(0);
  }, 1000).unref();
}

async function main() {
  watchForExit();
  const port = opts.port !== undefined ? Number(opts.port) : 0;
  if (opts.zk) {
    registry = new ZookeeperRegistry({ logger, address: opts.zk + ZK_ROOT });
    await common.withTimeout(registry.ready(), 20000, `ZooKeeper at ${opts.zk} not reachable within 20 s`);
  }
  server = new RpcServer({
    appName: 'oxidubbo-sofa-peer',
    logger,
    registry,
    port,
    protocol: dubboProtocol,
    publishAddress: common.LOOPBACK,
    version: VERSION,
    group: GROUP,
    // graceful's own kill timer; our shutdown is faster anyway.
    killTimeout: 3000,
  });
  server.on('error', err => {
    if (!(err && err.expected)) logger.warn('server error: %s', err && err.message || err);
  });
  server.addService({
    interfaceName: INTERFACE,
    // Extra provider URL parameters a Java-style registry consumer may expect.
    customMeta: { side: 'provider', methods: Object.keys(greeter).filter(m => !m.startsWith('$')).sort().join(',') },
  }, greeter);
  await common.withTimeout(server.start(), 10000, 'server did not start within 10 s');
  if (registry) {
    await common.withTimeout(server.publish(), 20000, 'publishing to ZooKeeper took more than 20 s');
  }
  process.stdout.write(`READY ${server.publishPort}\n`);
}

main().catch(err => {
  process.stderr.write(`provider: setup failed: ${err && err.stack || err}\n`);
  shutdown(1);
});
