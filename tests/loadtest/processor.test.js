// Unit tests of loadtest/processor.js (node --test; run by test_processor.py): the random
// person, the provisioned user's token refresh, and the poll each provisioned vote goes to.
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const path = require('node:path');

const processor = require(path.join(__dirname, '..', '..', 'loadtest', 'processor.js'));

const vars = (email, expiresAt) => ({
  email,
  accessToken: 'old-access',
  refreshToken: `refresh-of-${email}`,
  expiresAt: String(expiresAt),
  cognitoEndpoint: 'http://cognito.invalid/',
  clientId: 'client-1'
});

test('a new person has an e-mail username and a human display name', () => {
  const { email, name } = processor.newPerson();
  assert.match(email, /^load-tester-[a-z0-9]+@loadtest\.example\.com$/);
  assert.match(name, /^Load Tester \d{4}$/);
});

test('signUpBody sends the e-mail as the username with email and name attributes', () => {
  const context = { vars: { clientId: 'c' } };
  processor.newUser(context, null, () => {});
  const params = { json: {} };
  processor.signUpBody(params, context, null, () => {});
  const body = JSON.parse(params.body);
  assert.equal(body.Username, context.vars.email);
  assert.deepEqual(body.UserAttributes, [
    { Name: 'email', Value: context.vars.email },
    { Name: 'name', Value: context.vars.displayName }
  ]);
  assert.ok(!('json' in params));
});

test('a token far from expiry is used as it is', async () => {
  const now = 1_000_000;
  const refresh = async () => assert.fail('no refresh expected');
  const token = await processor.currentToken(vars('a@x.example', now + 3600), now, refresh);
  assert.deepEqual(token, { accessToken: 'old-access', expiresAt: now + 3600, refreshed: false });
});

test('a token about to expire is refreshed once, then the new one is reused', async () => {
  const now = 2_000_000;
  const calls = [];
  const refresh = async (endpoint, clientId, refreshToken) => {
    calls.push([endpoint, clientId, refreshToken]);
    return { accessToken: 'new-access', expiresAt: now + 3600 };
  };
  const v = vars('b@x.example', now + 30);
  const first = await processor.currentToken(v, now, refresh);
  const second = await processor.currentToken(v, now + 10, refresh);
  assert.equal(first.accessToken, 'new-access');
  assert.equal(first.refreshed, true);
  assert.equal(second.accessToken, 'new-access');
  assert.equal(second.refreshed, false);
  assert.deepEqual(calls, [['http://cognito.invalid/', 'client-1', 'refresh-of-b@x.example']]);
});

test('refreshToken speaks REFRESH_TOKEN_AUTH and reads the new expiry', async () => {
  let sent;
  const fakeFetch = async (url, init) => {
    sent = { url, init };
    return {
      status: 200,
      json: async () => ({ AuthenticationResult: { AccessToken: 'fresh', ExpiresIn: 600 } })
    };
  };
  const before = Date.now() / 1000;
  const token = await processor.refreshToken('http://idp.invalid/', 'client-2', 'r-1', fakeFetch);
  assert.equal(token.accessToken, 'fresh');
  assert.ok(token.expiresAt >= before + 600 && token.expiresAt <= Date.now() / 1000 + 600);
  assert.equal(sent.init.headers['X-Amz-Target'], 'AWSCognitoIdentityProviderService.InitiateAuth');
  assert.deepEqual(JSON.parse(sent.init.body), {
    ClientId: 'client-2',
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    AuthParameters: { REFRESH_TOKEN: 'r-1' }
  });
});

test('a refused refresh fails the virtual user with Cognito error type', async () => {
  const fakeFetch = async () => ({
    status: 400,
    json: async () => ({ __type: 'NotAuthorizedException' })
  });
  await assert.rejects(
    processor.refreshToken('http://idp.invalid/', 'c', 'r', fakeFetch),
    /400 NotAuthorizedException/
  );
});

test('each vote of one user goes to a poll it has not voted in', () => {
  const polls = [{ id: 'p3' }, { id: 'p1' }, { id: 'p2' }];
  const chosen = [0, 1, 2].map((cast) => processor.assignedPoll(polls, 7, cast).id);
  assert.equal(new Set(chosen).size, 3);
  assert.equal(processor.assignedPoll(polls, 7, 3), null); // voted everywhere
  // Users in neighbouring slots start at different polls.
  assert.notEqual(processor.assignedPoll(polls, 0, 0).id, processor.assignedPoll(polls, 1, 0).id);
});

test('pickAssignedPoll respects the offset of earlier runs and reports exhaustion', () => {
  const body = JSON.stringify({ polls: [{ id: 'a', options: ['X', 'Y'] }, { id: 'b', options: ['Z'] }] });
  process.env.VOTES_LOADTEST_POLL_OFFSET = '1';
  try {
    const context = { vars: { email: 'c@x.example', slot: '0' } };
    let error = null;
    processor.pickAssignedPoll({}, { body }, context, null, (e) => (error = e || null));
    assert.equal(error, null);
    assert.equal(context.vars.pollId, 'b'); // slot 0 + offset 1
    processor.pickAssignedPoll({}, { body }, context, null, (e) => (error = e || null));
    assert.match(String(error), /payload exhausted/);
  } finally {
    delete process.env.VOTES_LOADTEST_POLL_OFFSET;
  }
});
