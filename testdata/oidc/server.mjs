// A real OpenID provider for Latch's Go tests: panva's oidc-provider with
// short, configurable lifetimes, refresh-token rotation, revocation, device
// flow and introspection, one native public client and three accounts.
//
// It listens on 127.0.0.1 on the port given in PORT (0 picks a free one) and
// prints one line, "issuer: URL", once it is ready. Settings come from the
// environment: ACCESS_TOKEN_TTL (seconds, default 60), ID_TOKEN_TTL (seconds,
// default 3600), CLIENT_ID (default "latch-test"), REDIRECT_URIS (more
// redirect addresses for the client, separated by spaces), and ISSUER (default its
// own address) for a provider that is reached through a proxy, which must
// keep the Host header: the endpoints are named from it. A second line,
// "listening: URL", says where it listens. MOUNT_PATH (such as
// /realms/demo) serves the provider under that path, the issuer ending
// with it, as Keycloak, Okta and Microsoft Entra ID do; CLIENT_SECRET makes
// the client confidential (client_secret_post), as Google's installed-app
// clients are; ROTATE_REFRESH=0 keeps a refresh token when it is spent
// (Google) and REVOCATION=0 turns the revocation endpoint off (Entra);
// ISSUER_TRAILING_SLASH=1 ends the issuer with a slash (Auth0).
//
// Two APIs take resource indicators (RFC 8707): https://orders.example.test/
// (scopes orders:read orders:write) and https://billing.example.test/
// (billing:read); their access tokens are ES256 JWTs for that audience.
// DPoP (RFC 9449) is on, with nonces required: a token request or userinfo
// call with a proof and no fresh nonce is answered use_dpop_nonce.
//
// The sign-in page is a plain HTML form with fields "username" and
// "password"; the provider keeps a session in the browser (a cookie), so
// that a second sign-in in the same browser asks nothing unless the
// prompt says so. Sign-out in the browser (end_session_endpoint) returns
// to http://127.0.0.1:ANY-PORT/signed-out. A wrong password ends the interaction with access_denied, so
// the client learns of it; consent for the first-party client is given
// without a screen.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const accounts = {
  alice: {
    password: 'wonderland',
    claims: {
      sub: 'alice',
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      email: 'alice@example.test',
      email_verified: true,
      picture: 'https://example.test/alice.png',
    },
  },
  bob: {
    password: 'builder',
    claims: {
      sub: 'bob',
      name: 'Bob Builder',
      given_name: 'Bob',
      family_name: 'Builder',
      email: 'bob@example.test',
      email_verified: false,
    },
  },
  // A name that tries to deceive whoever reads it: a right-to-left
  // override that shows "Mallory (admin)exe.txt" as if it ended in
  // ".txt", and zero-width and isolate characters.
  mallory: {
    password: 'mischief',
    claims: {
      sub: 'mallory',
      name: 'Mallory \u2066(admin)\u2069\u202etxt.exe\u200b',
      email: 'mallory@example.test',
      email_verified: true,
    },
  },
};

const seconds = (name, fallback) => {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const signingKey = (type, options, alg) => {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg };
};

const apis = {
  'https://orders.example.test/': 'orders:read orders:write',
  'https://billing.example.test/': 'billing:read',
};

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title, body) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;

const server = createServer();
await new Promise((resolve) => server.listen(Number.parseInt(process.env.PORT ?? '0', 10), '127.0.0.1', resolve));
const listening = `http://127.0.0.1:${server.address().port}`;
const mount = (process.env.MOUNT_PATH ?? '').replace(/\/+$/, '');
const issuer = (process.env.ISSUER || listening) + mount + (process.env.ISSUER_TRAILING_SLASH === '1' ? '/' : '');
const secret = process.env.CLIENT_SECRET ?? '';

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID ?? 'latch-test',
    client_name: 'Latch (tests)',
    application_type: 'native',
    ...(secret ? { client_secret: secret, token_endpoint_auth_method: 'client_secret_post' } : { token_endpoint_auth_method: 'none' }),
    redirect_uris: ['http://127.0.0.1/callback', ...(process.env.REDIRECT_URIS ?? '').split(' ').filter(Boolean)],
    post_logout_redirect_uris: ['http://127.0.0.1/signed-out'],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [signingKey('rsa', { modulusLength: 2048 }, 'RS256'), signingKey('ec', { namedCurve: 'P-256' }, 'ES256')] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'picture'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', ...Object.values(apis).flatMap((s) => s.split(' '))],
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => account.claims };
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: process.env.REVOCATION !== '0' },
    introspection: { enabled: true },
    deviceFlow: { enabled: true },
    resourceIndicators: {
      enabled: true,
      async getResourceServerInfo(_ctx, indicator) {
        if (!apis[indicator]) throw new errors.InvalidTarget();
        return {
          scope: apis[indicator],
          audience: indicator,
          accessTokenTTL: seconds('ACCESS_TOKEN_TTL', 60),
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
    dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    // Sign-out in the browser (RP-initiated logout) asks first, on a plain
    // form whose one button signs out.
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', form.replace('</form>', '<button type="submit" name="logout" value="yes">Sign out</button></form>'));
      },
    },
  },
  interactions: { url: (_ctx, interaction) => `${mount}/interaction/${interaction.uid}` },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: process.env.ROTATE_REFRESH !== '0',
  clockTolerance: 0,
  // Profile claims in the ID token too, as Auth0 does.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  ttl: {
    AccessToken: seconds('ACCESS_TOKEN_TTL', 60),
    IdToken: seconds('ID_TOKEN_TTL', 3600),
    AuthorizationCode: 60,
    DeviceCode: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    RefreshToken: 3600,
  },
});
provider.proxy = false;

const readForm = (req) => new Promise((resolve, reject) => {
  let data = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { data += chunk; });
  req.on('end', () => resolve(new URLSearchParams(data)));
  req.on('error', reject);
});

async function giveConsent(req, res, details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const id = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId: id } }, { mergeWithLastSubmission: true });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (details.prompt.name === 'consent') {
    await giveConsent(req, res, details);
    return;
  }
  if (action === 'login' && req.method === 'POST') {
    const form = await readForm(req);
    const account = accounts[form.get('username') ?? ''];
    if (!account || account.password !== form.get('password')) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'Wrong username or password',
      }, { mergeWithLastSubmission: false });
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: form.get('username') } }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(page('Sign in', `<form method="post" action="${escape(mount)}/interaction/${escape(uid)}/login">
<label>Username <input type="text" name="username" autofocus></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button></form>`));
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (mount) {
    // Mounted under a path, as express mounts a handler: the provider
    // sees the rest of the path, and finds the mount in originalUrl.
    if (req.url !== mount && !req.url.startsWith(`${mount}/`) && !req.url.startsWith(`${mount}?`)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    req.originalUrl = req.url;
    req.url = req.url.slice(mount.length) || '/';
  }
  const match = /^\/interaction\/([^/?]+)(?:\/(login))?(?:\?.*)?$/.exec(req.url);
  if (!match) {
    callback(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((err) => {
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page('Error', `<p>${escape(err.message)}</p>`));
  });
});

process.stdout.write(`issuer: ${issuer}\nlistening: ${listening}\n`);
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
