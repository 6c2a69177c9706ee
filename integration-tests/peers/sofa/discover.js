#!/usr/bin/env node
'use strict';

// Application-level discovery as an independent peer does it: reads what a
// provider in register-mode "instance" wrote to ZooKeeper and asks its
// MetadataService for the services, with sofa-rpc-node's dubbo client.
//
//   node discover.js --zk 127.0.0.1:PORT --interface NAME
//                    [--mapping-root /dubbo] [--services-root /services] [--timeout MS]
//
// 1. <mapping-root>/mapping/<interface>: the application names (comma separated);
// 2. <services-root>/<app>: the instance nodes, each a Curator ServiceInstance
//    (JSON) whose payload.metadata carries dubbo.metadata.revision and
//    dubbo.metadata-service.url-params;
// 3. org.apache.dubbo.metadata.MetadataService.getMetadataInfo(revision) over
//    dubbo at the instance's address, port and protocol from the url-params,
//    group = the application, version from the url-params (default 1.0.0).
//
// stdout: one JSON line per instance, nothing else:
//   {"app":…,"instance":"<host>:<port>","revision":…,"class":…,"result":{"app":…,"revision":…,
//    "services":{"<key>":{"class":…,"name":…,"group":…,"version":…,"protocol":…,"port":…,
//    "path":…,"params":{…}}}}}
// ("result" is null when the provider answered null.)
// Exit status 0 when every instance was asked, 1 on a failure (nothing in the
// mapping, no instance, bad JSON, a failed call; message on stderr), 2 on bad options.

const common = require('./common'); // must come first: loopback-only listen

const USAGE = 'usage: node discover.js --zk HOST:PORT --interface NAME\n' +
  '         [--mapping-root /dubbo] [--services-root /services] [--timeout MS]';

const METADATA_SERVICE = 'org.apache.dubbo.metadata.MetadataService';

let opts;
try {
  opts = common.parseArgs(process.argv.slice(2), {
    zk: 'value', interface: 'value', 'mapping-root': 'value', 'services-root': 'value',
    timeout: 'value', help: 'flag',
  });
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  common.checkHostPort(opts.zk, '--zk');
  if (!opts.interface) throw new Error('--interface is required');
  for (const k of [ 'mapping-root', 'services-root' ]) {
    if (opts[k] !== undefined && !/^\/[^\s]*$/.test(opts[k])) throw new Error(`--${k} must start with /`);
  }
  if (opts.timeout !== undefined && !/^\d+$/.test(opts.timeout)) throw new Error('--timeout must be a number of ms');
} catch (err) {
  process.stderr.write(`discover: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}

// Keep Java class names in the result (hessian.js withType), to check them.
require('./patches').decodeResultsWithTypes();

const zookeeper = require('node-zookeeper-client');
const { RpcClient } = require('sofa-rpc-node').client;
const dubboProtocol = require('dubbo-remoting');
const java = require('js-to-java');

const logger = common.makeLogger('sofa-discover');
const responseTimeout = opts.timeout !== undefined ? Number(opts.timeout) : 3000;
const MAPPING_ROOT = (opts['mapping-root'] || '/dubbo').replace(/\/+$/, '');
const SERVICES_ROOT = (opts['services-root'] || '/services').replace(/\/+$/, '');

const zkCall = (client, method, path) => new Promise((resolve, reject) => {
  client[method](path, (err, value) => {
    if (err) reject(new Error(`${method} ${path}: ${err.message || err}`));
    else resolve(value);
  });
});

// A hessian.js withType tree ({$class, $}) -> { cls, value }.
const typed = v => (v && typeof v === 'object' && typeof v.$class === 'string' ? { cls: v.$class, value: v.$ } : { cls: null, value: v });
const plain = v => java.revert(v);

function serviceInfo(v) {
  const { cls, value } = typed(v);
  if (!value || typeof value !== 'object') throw new Error(`a service is not an object: ${JSON.stringify(v)}`);
  const f = name => plain(value[name]);
  return {
    class: cls,
    name: f('name'),
    group: f('group'),
    version: f('version'),
    protocol: f('protocol'),
    port: f('port'),
    path: f('path'),
    params: f('params') || {},
  };
}

function metadataInfo(v) {
  if (v == null) return null;
  const { cls, value } = typed(v);
  if (!value || typeof value !== 'object') throw new Error(`the answer is not an object: ${JSON.stringify(v)}`);
  const services = {};
  const map = typed(value.services).value || {};
  for (const key of Object.keys(map)) services[key] = serviceInfo(map[key]);
  return { class: cls, app: plain(value.app), revision: plain(value.revision), services };
}

async function getMetadataInfo(client, app, instance, revision) {
  const params = JSON.parse(instance.payload.metadata['dubbo.metadata-service.url-params'] || '{}');
  const protocol = params.protocol || 'dubbo';
  if (protocol !== 'dubbo') throw new Error(`${app}: MetadataService protocol ${protocol} is not dubbo`);
  const port = params.port || instance.port;
  const consumer = client.createConsumer({
    interfaceName: METADATA_SERVICE,
    version: params.version || '1.0.0',
    group: app,
    responseTimeout,
    serverHost: `dubbo://${instance.address}:${port}?serialization=hessian2`,
  });
  await common.withTimeout(consumer.ready(), 20000, 'MetadataService consumer not ready within 20 s');
  return consumer.invoke('getMetadataInfo', [ java.String(revision) ], { responseTimeout });
}

async function main() {
  const zk = zookeeper.createClient(opts.zk, { sessionTimeout: 10000, retries: 2 });
  const connected = new Promise(resolve => zk.once('connected', resolve));
  zk.connect();
  await common.withTimeout(connected, 20000, `ZooKeeper at ${opts.zk} not reachable within 20 s`);
  const client = new RpcClient({ logger, protocol: dubboProtocol });
  try {
    const mapping = await zkCall(zk, 'getData', `${MAPPING_ROOT}/mapping/${opts.interface}`);
    const apps = String(mapping || '').split(',').map(s => s.trim()).filter(Boolean);
    if (apps.length === 0) throw new Error(`no application in the mapping of ${opts.interface}`);
    let asked = 0;
    for (const app of apps) {
      const children = (await zkCall(zk, 'getChildren', `${SERVICES_ROOT}/${app}`)).sort();
      for (const child of children) {
        const data = await zkCall(zk, 'getData', `${SERVICES_ROOT}/${app}/${child}`);
        const instance = JSON.parse(String(data));
        const metadata = (instance.payload && instance.payload.metadata) || {};
        const revision = metadata['dubbo.metadata.revision'];
        if (!revision) throw new Error(`${app}/${child}: no dubbo.metadata.revision`);
        const answer = await getMetadataInfo(client, app, instance, revision);
        const line = { app, instance: child, revision, name: instance.name, result: metadataInfo(answer) };
        process.stdout.write(JSON.stringify(line) + '\n');
        asked++;
      }
    }
    if (asked === 0) throw new Error(`no instance of ${apps.join(',')} under ${SERVICES_ROOT}`);
  } finally {
    try {
      await common.withTimeout(Promise.resolve(client.close()), 3000, 'close timeout');
    } catch (_) { /* exiting anyway */ }
    zk.close();
  }
}

setTimeout(() => {
  process.stderr.write('discover: gave up after 60 s\n');
  process.exit(1);
}, 60000).unref();

main().then(() => process.exit(0), err => {
  process.stderr.write(`discover: ${err && err.stack || err}\n`);
  process.exit(1);
});
