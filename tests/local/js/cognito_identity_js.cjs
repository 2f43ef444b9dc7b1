// Drives the local IdP with amazon-cognito-identity-js, exactly as the browser client does.
// Usage: node cognito_identity_js.cjs <endpoint> <userPoolId> <clientId> <username> <password>
// Prints one JSON object with what each step returned.
const {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
} = require("amazon-cognito-identity-js");

const [endpoint, UserPoolId, ClientId, username, password] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId, ClientId, endpoint });

function signUp() {
  const attributes = [new CognitoUserAttribute({ Name: "email", Value: `${username}@example.com` })];
  return new Promise((resolve, reject) =>
    pool.signUp(username, password, attributes, null, (err, result) =>
      err ? reject(err) : resolve({ userConfirmed: result.userConfirmed, userSub: result.userSub }),
    ),
  );
}

function logIn(secret) {
  const user = new CognitoUser({ Username: username, Pool: pool });
  user.setAuthenticationFlowType("USER_PASSWORD_AUTH");
  const details = new AuthenticationDetails({ Username: username, Password: secret });
  return new Promise((resolve, reject) =>
    user.authenticateUser(details, {
      onSuccess: (session) => resolve({ user, session }),
      onFailure: (err) => reject(err),
    }),
  );
}

function refresh(user, session) {
  return new Promise((resolve, reject) =>
    user.refreshSession(session.getRefreshToken(), (err, fresh) => (err ? reject(err) : resolve(fresh))),
  );
}

async function main() {
  const out = {};
  out.signUp = await signUp();
  try {
    await signUp();
  } catch (err) {
    out.duplicate = { code: err.code, message: err.message };
  }
  try {
    await logIn(password + "x");
  } catch (err) {
    out.wrongPassword = { code: err.code, message: err.message };
  }
  const { user, session } = await logIn(password);
  out.accessToken = session.getAccessToken().getJwtToken();
  out.idPayload = session.getIdToken().decodePayload();
  out.valid = session.isValid();
  const fresh = await refresh(user, session);
  out.refreshedAccessToken = fresh.getAccessToken().getJwtToken();
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message } }));
  process.exit(1);
});
