'use strict';

// The service both peers use. Must match oxidubbo's Rust greeter.
module.exports = {
  INTERFACE: 'org.apache.dubbo.samples.api.GreeterService',
  VERSION: '1.0.0',
  GROUP: '',
  // sofa-rpc-node's ZooKeeper root defaults to /sofa-rpc/; Dubbo uses /dubbo.
  ZK_ROOT: '/dubbo',
};
