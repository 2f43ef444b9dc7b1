// Artillery processor for votes.yml, both scenarios:
//   "sign up and vote" (the workshop's): a random user signs up (SignUp + InitiateAuth over
//     Cognito's JSON protocol, the same bytes for the local /cognito endpoint and for
//     cognito-idp.<region>.amazonaws.com) with a random e-mail as the username and a
//     human-readable `name`, registers under that name and votes in a random open poll;
//   "provisioned voter": a user from the payload file the runner's setup step wrote (signed in
//     already; its access token refreshed with REFRESH_TOKEN_AUTH when it is about to expire)
//     registers, lists the polls, votes in the next poll it has not voted in, reads the results.
// Both keep a precise record of every vote the API accepted.
//
// Environment (all optional; the runner sets them):
//   VOTES_LOADTEST_LEDGER   file that receives one line per accepted vote (HTTP 201):
//                           "<pollId>\t<option>\t<username>\n"
//   VOTES_LOADTEST_TIMINGS  file that receives one line per HTTP response:
//                           "<end epoch ms>\t<request name>\t<status>\t<ms to first byte>\n"
//   VOTES_LOADTEST_POLL_OFFSET  provisioned: how many polls each user may already have voted
//                           in (earlier runs on the same payload); this run starts after them
'use strict';

const crypto = require('crypto');
const fs = require('fs');

/** Status codes each named request may answer; anything else fails the virtual user. */
const EXPECTED = {
  cognito_signup: [200],
  cognito_login: [200],
  register_voter: [200, 201],
  list_polls: [200],
  cast_vote: [201],
  read_results: [200]
};

/** A provisioned access token this close to expiry (seconds) is refreshed before use. */
const REFRESH_MARGIN_S = 60;

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

/** A random e-mail (the pool's username) and a human-readable name for a new user. */
const newPerson = () => ({
  email: `load-tester-${randomId().toLowerCase()}@loadtest.example.com`,
  name: `Load Tester ${1000 + crypto.randomInt(9000)}`
});

/** Function step: a fresh random identity for this virtual user. */
function newUser(context, events, done) {
  const { email, name } = newPerson();
  // E-mail is the username (the pool's UsernameAttributes: [email]); `name` is the display name.
  context.vars.username = email;
  context.vars.email = email;
  context.vars.displayName = name;
  // Satisfies the pool's password policy (upper, lower, digit, and a symbol, length >= 8).
  context.vars.password = `Lt!${crypto.randomBytes(12).toString('hex')}Z9`;
  return done();
}

/** beforeRequest: the SignUp payload. */
function signUpBody(requestParams, context, events, done) {
  cognitoRequest(requestParams, {
    ClientId: context.vars.clientId,
    Username: context.vars.email,
    Password: context.vars.password,
    UserAttributes: [
      { Name: 'email', Value: context.vars.email },
      { Name: 'name', Value: context.vars.displayName }
    ]
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

// -- provisioned users -------------------------------------------------------------------------

/** Access tokens refreshed in this worker, by e-mail: each user is refreshed once per expiry. */
const refreshed = new Map();
/** Votes each user cast in this run, by e-mail (Artillery gives each worker its own rows). */
const votesBy = new Map();

const pollOffset = () => {
  const value = Number.parseInt(process.env.VOTES_LOADTEST_POLL_OFFSET || '0', 10);
  return Number.isFinite(value) && value > 0 ? value : 0;
};

/** InitiateAuth REFRESH_TOKEN_AUTH: { accessToken, expiresAt } (epoch seconds). */
async function refreshToken(cognitoEndpoint, clientId, token, fetchImpl = fetch) {
  const res = await fetchImpl(cognitoEndpoint, {
    method: 'POST',
    headers: {
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      'Content-Type': 'application/x-amz-json-1.1'
    },
    body: JSON.stringify({
      ClientId: clientId,
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: token }
    })
  });
  const body = await res.json().catch(() => ({}));
  const result = body.AuthenticationResult;
  if (res.status !== 200 || !result || !result.AccessToken) {
    throw new Error(`REFRESH_TOKEN_AUTH answered ${res.status} ${body.__type || 'no_code'}`);
  }
  return {
    accessToken: result.AccessToken,
    expiresAt: Date.now() / 1000 + Number(result.ExpiresIn || 3600)
  };
}

/**
 * The access token to use for a provisioned user: the payload's, or a refreshed one when it
 * expires within REFRESH_MARGIN_S. `vars` holds the payload row and the Cognito variables.
 */
async function currentToken(vars, now = Date.now() / 1000, refresh = refreshToken) {
  const known = refreshed.get(vars.email) || {
    accessToken: String(vars.accessToken),
    expiresAt: Number(vars.expiresAt)
  };
  if (known.expiresAt - now > REFRESH_MARGIN_S) {
    return { ...known, refreshed: false };
  }
  const fresh = await refresh(vars.cognitoEndpoint, vars.clientId, String(vars.refreshToken));
  refreshed.set(vars.email, fresh);
  return { ...fresh, refreshed: true };
}

/** Function step: this virtual user is the payload row's user, with a valid access token. */
function provisionedUser(context, events, done) {
  if (!context.vars.email || !context.vars.refreshToken) {
    return done(new Error('no payload row: the provisioned scenario needs the setup step'));
  }
  context.vars.displayName = context.vars.name;
  currentToken(context.vars).then(
    (token) => {
      if (token.refreshed) {
        events.emit('counter', 'tokens.refreshed', 1);
      }
      context.vars.accessToken = token.accessToken;
      return done();
    },
    (err) => done(err)
  );
}

/**
 * Which open poll a provisioned user votes in next: polls sorted by id, the user's slot plus
 * the votes it cast before (offset + this run's count) picks one it has not voted in, so no
 * vote is refused as already cast. Null when the user has voted in every poll.
 */
function assignedPoll(polls, slot, castBefore) {
  if (castBefore >= polls.length) {
    return null;
  }
  const ordered = [...polls].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return ordered[(Number(slot) + castBefore) % ordered.length];
}

/** afterResponse on GET /polls (provisioned): the user's next poll and a random option. */
function pickAssignedPoll(requestParams, res, context, events, done) {
  const open = pollsOf(parseBody(res)).filter(
    (poll) => poll && poll.is_open !== false && Array.isArray(poll.options) && poll.options.length
  );
  const email = context.vars.email;
  const cast = votesBy.get(email) || 0;
  const poll = assignedPoll(open, context.vars.slot, pollOffset() + cast);
  if (poll === null) {
    return done(
      new Error(`payload exhausted: ${email} voted in all ${open.length} polls (more --users)`)
    );
  }
  votesBy.set(email, cast + 1);
  context.vars.pollId = poll.id;
  context.vars.option = pick(poll.options);
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
  newPerson,
  newUser,
  provisionedUser,
  currentToken,
  refreshToken,
  assignedPoll,
  pickAssignedPoll,
  signUpBody,
  loginBody,
  rememberTokens,
  pickPollAndOption,
  countAttempt,
  recordVote,
  checkStatus
};
