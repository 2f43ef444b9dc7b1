// What serverless.yml works out from the stage parameters when it resolves (package, deploy):
// values that are arithmetic on other settings -- CloudFormation has no arithmetic -- and the
// combinations of parameters that cannot work, refused before anything is deployed.
// Used as ${file(deploy/stage.js):<name>}. Each reads its inputs from serverless.yml itself
// (stage parameters, the functions' settings), so changing an input changes the result;
// tests/deploy/test_template_limits.py checks the packaged values against the same rules.
'use strict';

const { maxConnectionsByMaxAcu } = require('./aurora-mysql-max-connections.json');

// Containers of each database-using function other than `api` that can run at once:
// the relay runs every minute and two runs can overlap (a delayed asynchronous invocation,
// see votes/relay/relay.py), the migration custom resource runs alone (its master-user
// connection, which creates the database users, is closed before its pool opens).
const RELAY_CONTAINERS = 2;
const MIGRATE_CONTAINERS = 1;
// Connections of the hosted rotation functions of the two user secrets (deploy/database.yml):
// one rotation at a time per secret, each step holding one connection. The master secret is
// rotated by RDS itself, without a client connection.
const ROTATION_CONNECTIONS = 2;
// Connections left for people (a mysql shell, RDS's own monitoring): a tenth of the limit.
const HEADROOM_SHARE = 0.1;

const number = async (resolveVariable, variable) => {
  const value = Number(await resolveVariable(variable));
  if (!Number.isFinite(value)) throw new Error(`${variable} is not a number`);
  return value;
};

// Aurora MySQL's default max_connections at the stage's maximum ACU (the table AWS documents;
// a maximum between two rows gets the lower row's value).
const maxConnections = (maxAcu) => {
  const rows = maxConnectionsByMaxAcu.filter(([acu]) => acu <= maxAcu);
  if (rows.length === 0) throw new Error(`dbMaxCapacity ${maxAcu} is below 1 ACU`);
  return rows[rows.length - 1][1];
};

// The most API containers whose connection pools fit in Aurora's limit next to everybody else:
//   floor((max_connections - headroom
//          - pool * (projector + relay + migrate + subscribe containers)
//          - rotation connections) / pool)
// where headroom = ceil(max_connections / 10) and every function's pool is `dbPoolSize`.
// docs/deploy.md ("How many API containers") explains the formula with the stages' figures.
const apiReservedConcurrency = async ({ resolveVariable }) => {
  const limit = maxConnections(await number(resolveVariable, 'param:dbMaxCapacity'));
  const pool = await number(resolveVariable, 'param:dbPoolSize');
  const projector = await number(
    resolveVariable,
    'self:functions.projector.events.0.sqs.maximumConcurrency'
  );
  const subscribe = await number(resolveVariable, 'self:custom.subscribeContainers');
  const others =
    pool * (projector + RELAY_CONTAINERS + MIGRATE_CONTAINERS + subscribe) + ROTATION_CONNECTIONS;
  const reserved = Math.floor((limit - Math.ceil(limit * HEADROOM_SHARE) - others) / pool);
  if (reserved < 1) throw new Error(`no API container fits in ${limit} connections`);
  return reserved;
};

// Lambda's advice for an SQS event source: the queue's visibility timeout at least six times
// the function's timeout (room for retries while the function is throttled), plus the batching
// window during which received messages are already invisible.
const queueVisibilityTimeout =
  (fn) =>
  async ({ resolveVariable }) => {
    const timeout = await number(resolveVariable, `self:functions.${fn}.timeout`);
    const window = await number(
      resolveVariable,
      `self:functions.${fn}.events.0.sqs.maximumBatchingWindow`
    );
    return 6 * timeout + window;
  };
const projectorQueueVisibilityTimeout = queueVisibilityTimeout('projector');
const pushQueueVisibilityTimeout = queueVisibilityTimeout('push');

// Combinations of stage parameters that cannot work; true when there is none.
const checkStageParameters = async ({ resolveVariable }) => {
  const problems = [];
  const proxy = String(await resolveVariable('param:useRdsProxy')) === 'true';
  if (proxy && (await number(resolveVariable, 'param:dbMinCapacity')) === 0) {
    problems.push(
      'useRdsProxy keeps connections to the writer open, so a writer with dbMinCapacity 0 ' +
        'never pauses: set dbMinCapacity to 0.5 or more'
    );
  }
  const domain = String(await resolveVariable('param:clientDomainName'));
  const certificate = String(await resolveVariable('param:clientCertificateArn'));
  if (domain !== '' && !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/.+$/.test(certificate)) {
    problems.push(
      'clientDomainName needs clientCertificateArn: the ARN of an ACM certificate of that ' +
        'domain in us-east-1 (CloudFront takes certificates from us-east-1 only)'
    );
  }
  if (domain === '' && certificate !== '') {
    problems.push('clientCertificateArn is set without clientDomainName');
  }
  if (problems.length > 0) throw new Error(`stage parameters: ${problems.join('; ')}`);
  return true;
};

module.exports = {
  apiReservedConcurrency,
  checkStageParameters,
  projectorQueueVisibilityTimeout,
  pushQueueVisibilityTimeout,
};
