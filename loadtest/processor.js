// Artillery processor for votes.yml: random users, the Cognito sign-up (SignUp + InitiateAuth
// over Cognito's JSON protocol, the same bytes for the local /cognito endpoint and for
// cognito-idp.<region>.amazonaws.com), the choice of a random open poll and option, and a
// precise record of every vote the API accepted.
//
// Environment (all optional; the runner sets them):
//   VOTES_LOADTEST_LEDGER   file that receives one line per accepted vote (HTTP 201):
//                           "<pollId>\t<option>\t<username>\n"
//   VOTES_LOADTEST_TIMINGS  file that receives one line per HTTP response:
//                           "<end epoch ms>\t<request name>\t<status>\t<ms to first byte>\n"
'use strict';

const crypto = require('crypto');
const fs = require('fs');

/** Status codes each named request may answer; anything else fails the virtual user. */
const EXPECTED = {
  cognito_signup: [200],
  cognito_login: [200],
  register_voter: [200, 201],
  list_polls: [200],
  cast_vote: [201]
};

const appendFd = (envName) => {
  const file = process.env[envName];
  return file ? fs.openSync(file, 'a') : null;
};
// Opened with O_APPEND: each short line is one write(2), so lines from several Artillery
// worker threads never interleave.
const ledgerFd = appendFd('VOTES_LOADTEST_LEDGER');
const timingsFd = appendFd('VOTES_LOADTEST_TIMINGS');

const randomId = () => crypto.randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');

const parseBody = (res) => {
  if (typeof res.body !== 'string') {
    return res.body;
  }
  try {
    return JSON.parse(res.body);
  } catch (err) {
    return null;
  }
};

const cognitoRequest = (requestParams, payload) => {
  // Cognito's JSON protocol wants exactly this content type; Artillery's `json:` would send
  // application/json, so the body goes out as a pre-serialised string.
  requestParams.body = JSON.stringify(payload);
  delete requestParams.json;
};

/** Function step: a fresh random identity for this virtual user. */
function newUser(context, events, done) {
  const id = randomId();
  context.vars.username = `lt-${id}`.toLowerCase();
  // Satisfies Cognito's default password policy (upper, lower, digit, symbol, length >= 8).
  context.vars.password = `Lt!${crypto.randomBytes(12).toString('hex')}Z9`;
  context.vars.email = `${context.vars.username}@loadtest.example.com`;
  context.vars.displayName = `Load Tester ${id.slice(0, 6)}`;
  return done();
}

/** beforeRequest: the SignUp payload. */
function signUpBody(requestParams, context, events, done) {
  cognitoRequest(requestParams, {
    ClientId: context.vars.clientId,
    Username: context.vars.email, // the pool's username is the e-mail (deploy/cognito.yml)
    Password: context.vars.password,
    UserAttributes: [{ Name: 'name', Value: context.vars.displayName }]
  });
  return done();
}

/** beforeRequest: the InitiateAuth USER_PASSWORD_AUTH payload. */
function loginBody(requestParams, context, events, done) {
  cognitoRequest(requestParams, {
    ClientId: context.vars.clientId,
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: {
      USERNAME: context.vars.email,
      PASSWORD: context.vars.password
    }
  });
  return done();
}

/** afterResponse: keep the tokens InitiateAuth returned. */
function rememberTokens(requestParams, res, context, events, done) {
  const result = (parseBody(res) || {}).AuthenticationResult;
  if (!result || !result.AccessToken) {
    return done(new Error('InitiateAuth returned no AuthenticationResult.AccessToken'));
  }
  context.vars.accessToken = result.AccessToken;
  context.vars.idToken = result.IdToken;
  return done();
}

const pollsOf = (body) => {
  if (Array.isArray(body)) {
    return body;
  }
  return (body && (body.polls || body.items)) || [];
};

const pick = (items) => items[crypto.randomInt(items.length)];

/** afterResponse on GET /polls: a random open poll and one of its options. */
function pickPollAndOption(requestParams, res, context, events, done) {
  const open = pollsOf(parseBody(res)).filter(
    (poll) => poll && poll.is_open !== false && Array.isArray(poll.options) && poll.options.length
  );
  if (open.length === 0) {
    return done(new Error('GET /polls listed no open poll'));
  }
  const poll = pick(open);
  context.vars.pollId = poll.id;
  context.vars.option = pick(poll.options);
  return done();
}

/** beforeRequest on the cast: count attempts, so that unanswered casts show in the report. */
function countAttempt(requestParams, context, events, done) {
  events.emit('counter', 'votes.attempted', 1);
  return done();
}

/** afterResponse on the cast: count and record every accepted vote (HTTP 201). */
function recordVote(requestParams, res, context, events, done) {
  if (res.statusCode === 201) {
    events.emit('counter', 'votes.accepted', 1);
    if (ledgerFd !== null) {
      const { pollId, option, username } = context.vars;
      fs.writeSync(ledgerFd, `${pollId}\t${option}\t${username}\n`);
    }
  }
  return done();
}

/** Scenario-level afterResponse: log the timing and fail the user on an unexpected status. */
function checkStatus(requestParams, res, context, events, done) {
  const name = requestParams.name || requestParams.url;
  if (timingsFd !== null) {
    const phases = (res.timings && res.timings.phases) || {};
    fs.writeSync(
      timingsFd,
      `${Date.now()}\t${name}\t${res.statusCode}\t${phases.firstByte ?? ''}\n`
    );
  }
  const expected = EXPECTED[name];
  if (expected && !expected.includes(res.statusCode)) {
    const body = parseBody(res) || {};
    const code = (body.error && body.error.code) || body.__type || 'no_code';
    return done(new Error(`${name} answered ${res.statusCode} ${code}`));
  }
  return done();
}

module.exports = {
  newUser,
  signUpBody,
  loginBody,
  rememberTokens,
  pickPollAndOption,
  countAttempt,
  recordVote,
  checkStatus
};
