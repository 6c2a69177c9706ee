#!/usr/bin/env node
'use strict';

// A Dubbo 2 (hessian2) consumer built on sofa-rpc-node + dubbo-remoting, used
// as an independent peer by oxidubbo's integration tests.
//
//   node consumer.js (--target 127.0.0.1:PORT | --zk 127.0.0.1:PORT)
//                    [--calls sayHello,add,...] [--timeout MS]
//                    [--interface NAME] [--version V] [--group G] [--zk-root /dubbo]
//                    [--attachments '{"key":"value",...}']
//
// Runs a fixed script of calls and prints one JSON line per call on stdout:
//   {"method":"add","ok":true,"result":5,"type":"int"}
//   (with "responseProps":{...} when the response carried attachments: dubbo's
//   RESPONSE_*_WITH_ATTACHMENTS bodies, decoded by dubbo-remoting)
//   {"method":"fail","ok":false,"error":"..."}
// Exit status 0 when every call was made (whatever each returned), 2 on bad
// options, 1 on a setup failure (no connection, no provider found, ...).

const common = require('./common'); // must come first: loopback-only listen
const defaults = require('./service_def');

const USAGE = 'usage: node consumer.js (--target HOST:PORT | --zk HOST:PORT) [--calls m1,m2,...] [--timeout MS]\n' +
  '         [--interface NAME] [--version V] [--group G] [--zk-root PATH]\n' +
  '         [--attachments JSON] (string attachments sent with every call)';

const java = require('js-to-java');

// An Object[] whose items keep their own Java types: hessian.js writes the items of a
// java.array('java.lang.Object', …) as objects of class java.lang.Object, so the array is
// sent as an ArrayList (the declared type, for the descriptor, stays Object[]).
const objectArray = items => java.abstract('[java.lang.Object', 'java.util.ArrayList', items);
// Arguments are typed the way a Java consumer of the Greeter interface would
// send them: the parameter descriptor comes from $abstractClass (declared
// parameter type) or $class, the value encoding from $class.
const asObject = (cls, value) => java.abstract('java.lang.Object', cls, value);
const SCRIPT = [
  { name: 'sayHello', method: 'sayHello', args: () => [ java.String('world') ] },
  { name: 'add', method: 'add', args: () => [ java.int(2), java.int(3) ] },
  {
    name: 'echoList',
    method: 'echo',
    // a java.util.ArrayList<String> passed as Object (Hessian: untyped list)
    args: () => [ asObject('java.util.ArrayList', [ 'a', 'b', 'c' ].map(s => java.String(s))) ],
  },
  { name: 'getUser', method: 'getUser', args: () => [ java.long(42) ] },
  {
    name: 'echoUser',
    method: 'echo',
    args: () => [ asObject('com.example.User', {
      id: java.long(7),
      name: java.String('x'),
      tags: java('java.util.ArrayList', [ java.String('t') ]),
    }) ],
  },
  { name: 'fail', method: 'fail', args: () => [ java.String('boom') ] },
  // Go's exported name, as a dubbo-go consumer calls without a dubbo:"sayHello" tag; only
  // when selected with --calls.
  { name: 'SayHello', method: 'SayHello', args: () => [ java.String('go') ], optIn: true },
  // Generic calls, as a consumer without the service's classes makes them (Dubbo's
  // GenericService: $invoke(String method, String[] parameterTypes, Object[] args), a POJO
  // as a map with its class under "class", the attachment generic=true); only when
  // selected with --calls. genericRename calls `User rename(User, String)` (the service of
  // oxidubbo's generic test), genericGetUser and genericEchoUser the Greeter's.
  {
    name: 'genericRename',
    method: '$invoke',
    props: { generic: 'true' },
    optIn: true,
    args: () => [
      java.String('rename'),
      java.array('java.lang.String', [ 'com.example.User', 'java.lang.String' ]),
      objectArray([
        java.HashMap({
          class: 'com.example.User',
          id: java.long(7),
          name: java.String('Ann'),
          tags: java('java.util.ArrayList', [ java.String('t') ]),
        }),
        java.String('Bea'),
      ]),
    ],
  },
  {
    name: 'genericGetUser',
    method: '$invoke',
    props: { generic: 'true' },
    optIn: true,
    args: () => [
      java.String('getUser'),
      java.array('java.lang.String', [ 'long' ]),
      objectArray([ java.long(42) ]),
    ],
  },
];

let opts;
let selected;
let attachments = {};
try {
  opts = common.parseArgs(process.argv.slice(2), {
    target: 'value', zk: 'value', calls: 'value', timeout: 'value', help: 'flag',
    interface: 'value', version: 'value', group: 'value', 'zk-root': 'value',
    attachments: 'value',
  });
  if (opts.help) {
    process.stdout.write(USAGE + '\n' + 'calls: ' + SCRIPT.map(s => s.name).join(',') +
      ' (a method name selects every step calling it)\n');
    process.exit(0);
  }
  if (!!opts.target === !!opts.zk) throw new Error('give exactly one of --target and --zk');
  if (opts.target) common.checkHostPort(opts.target, '--target');
  if (opts.zk) common.checkHostPort(opts.zk, '--zk');
  if (opts['zk-root'] !== undefined && !/^\/[^\s]*$/.test(opts['zk-root'])) throw new Error('--zk-root must start with /');
  if (opts.timeout !== undefined && !/^\d+$/.test(opts.timeout)) throw new Error('--timeout must be a number of ms');
  if (opts.attachments !== undefined) {
    let parsed;
    try { parsed = JSON.parse(opts.attachments); } catch (_) { parsed = null; }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) ||
        !Object.values(parsed).every(v => typeof v === 'string')) {
      throw new Error('--attachments must be a JSON object of strings');
    }
    attachments = parsed;
  }
  selected = SCRIPT.filter(s => !s.optIn);
  if (opts.calls) {
    const wanted = opts.calls.split(',').map(s => s.trim()).filter(Boolean);
    for (const w of wanted) {
      if (!SCRIPT.some(s => s.name === w || s.method === w)) throw new Error(`unknown call in --calls: ${w}`);
    }
    selected = SCRIPT.filter(s => wanted.includes(s.name) || wanted.includes(s.method));
  }
} catch (err) {
  process.stderr.write(`consumer: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}

// Keep the Java class names of results: decode the result value of responses
// with hessian.js's withType=true (see patches.js for the same on arguments).
require('./patches').decodeResultsWithTypes();

const { RpcClient } = require('sofa-rpc-node').client;
const { ZookeeperRegistry } = require('sofa-rpc-node').registry;
const dubboProtocol = require('dubbo-remoting');

const logger = common.makeLogger('sofa-consumer');
common.redirectClusterClientLogger(logger);
const responseTimeout = opts.timeout !== undefined ? Number(opts.timeout) : 3000;
const INTERFACE = opts.interface || defaults.INTERFACE;
const VERSION = opts.version !== undefined ? opts.version : defaults.VERSION;
const GROUP = opts.group !== undefined ? opts.group : defaults.GROUP;
const ZK_ROOT = opts['zk-root'] || defaults.ZK_ROOT;

// Resolves when HOST:PORT accepts a TCP connection; rejects after ms.
function probe(hostPort, ms) {
  const { host, port } = common.checkHostPort(hostPort, '--target');
  const net = require('net');
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect({ host, port });
      sock.setTimeout(1000);
      const retry = err => {
        sock.destroy();
        if (Date.now() >= deadline) {
          reject(new Error(`cannot connect to ${hostPort}: ${err && err.message || 'timeout'}`));
        } else {
          setTimeout(attempt, 100);
        }
      };
      sock.once('connect', () => { sock.destroy(); resolve(); });
      sock.once('error', retry);
      sock.once('timeout', () => retry(new Error('connect timeout')));
    };
    attempt();
  });
}

// JSON with big integers (hessian.js may give Long-like values) as strings.
function toJson(v) {
  return JSON.stringify(v, (_, x) => {
    if (typeof x === 'bigint') return x.toString();
    if (x && typeof x === 'object' && x.constructor && x.constructor.name === 'Long') return x.toString();
    return x;
  });
}

function errorMessage(err) {
  if (err == null) return 'unknown error';
  if (typeof err === 'string') return err;
  if (err.message) return String(err.message);
  if (err.$ && err.$.message) return String(err.$.message);
  return String(err);
}

async function main() {
  let registry;
  if (opts.target) await probe(opts.target, 5000);
  if (opts.zk) {
    registry = new ZookeeperRegistry({ logger, address: opts.zk + ZK_ROOT });
    await common.withTimeout(registry.ready(), 20000, `ZooKeeper at ${opts.zk} not reachable within 20 s`);
  }
  const client = new RpcClient({ logger, protocol: dubboProtocol, registry });
  const consumerOptions = {
    interfaceName: INTERFACE,
    version: VERSION, // sofa defaults to 1.0
    group: GROUP, // sofa defaults to SOFA
    responseTimeout,
  };
  if (opts.target) {
    consumerOptions.serverHost = `dubbo://${opts.target}?serialization=hessian2`;
  }
  const consumer = client.createConsumer(consumerOptions);
  // The response attachments of the last call (dubbo-remoting decodes them into
  // ctx.res.responseProps; sofa-rpc-node's invoke() returns only the value).
  let lastResponseProps = null;
  consumer.use(async (ctx, next) => {
    lastResponseProps = null;
    await next();
    lastResponseProps = ctx.res && ctx.res.responseProps || null;
  });
  await common.withTimeout(consumer.ready(), 20000, 'consumer not ready within 20 s');
  if (opts.zk) {
    // ready() can resolve before the provider list arrives: wait (bounded)
    // until at least one provider address is known.
    const deadline = Date.now() + 20000;
    while (!(consumer._addressGroup && consumer._addressGroup.addressList &&
             consumer._addressGroup.addressList.length > 0)) {
      if (Date.now() > deadline) throw new Error(`no provider of ${INTERFACE} found under ${ZK_ROOT} within 20 s`);
      await new Promise(r => setTimeout(r, 100));
    }
  }

  for (const step of selected) {
    const line = { method: step.name };
    try {
      const res = await consumer.invoke(step.method, step.args(), {
        responseTimeout,
        requestProps: Object.assign({}, attachments, step.props || {}),
      });
      line.ok = true;
      line.result = java.revert(res);
      if (res && typeof res === 'object' && typeof res.$class === 'string') {
        line.type = res.$class;
        line.java = res;
      }
    } catch (err) {
      line.ok = false;
      line.error = errorMessage(err);
    }
    if (lastResponseProps && Object.keys(lastResponseProps).length > 0) {
      line.responseProps = lastResponseProps;
    }
    process.stdout.write(toJson(line) + '\n');
  }

  try {
    await common.withTimeout(Promise.resolve(client.close()), 3000, 'close timeout');
  } catch (_) { /* exiting anyway */ }
  if (registry) {
    try {
      await common.withTimeout(Promise.resolve(registry.close()), 3000, 'close timeout');
    } catch (_) { /* exiting anyway */ }
  }
}

// Overall bound: a consumer run never takes longer than this.
const hardLimitMs = 60000 + selected.length * responseTimeout;
setTimeout(() => {
  process.stderr.write(`consumer: gave up after ${hardLimitMs} ms\n`);
  process.exit(1);
}, hardLimitMs).unref();

main().then(() => process.exit(0), err => {
  process.stderr.write(`consumer: setup failed: ${err && err.stack || err}\n`);
  process.exit(1);
});
