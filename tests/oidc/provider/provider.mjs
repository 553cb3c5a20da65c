// node-oidc-provider (a certified OpenID provider, pinned in package-lock.json) on loopback, for
// the web chat's sign-in tests: `node provider.mjs config.json` (or the JSON on stdin).
//
// The configuration, one JSON object:
//   {"issuer_port": 0,                       // 0 (or absent): any free port
//    "clients": [{"client_id", "client_secret", "redirect_uris": [...],
//                 "token_endpoint_auth_method": "client_secret_basic" | "client_secret_post"}],
//    "accounts": {"<login>": {"claims": {"email": ..., "tid": ..., ...},
//                             "amr": ["pwd", "mfa"] | null, "acr": "..." | null}},
//    "id_token_ttl_seconds": 3600}            // optional
//
// It serves the authorisation code flow with PKCE (S256, always required), ID tokens signed with
// RS256 by a key made at start, and its own two interaction pages instead of the library's
// development ones: a form asking for a login (the account's key) and a consent granted without
// asking. Once listening it prints one line on stdout, `READY <issuer>`; everything else it
// says goes to stderr.

import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { promisify } from 'node:util';

// The library's notices go through console.info: keep stdout for the READY line alone.
console.log = console.error;
console.info = console.error;

const { default: Provider } = await import('oidc-provider');

const config = JSON.parse(readFileSync(process.argv[2] ?? 0, 'utf8'));
const accounts = config.accounts ?? {};

// The claims each scope releases. `openid` is always asked for, so what it lists is always in
// the ID token: the tenant (Entra's `tid`), the Workspace domain (Google's `hd`), Entra's `upn`,
// and how the person signed in (`amr`, `acr`), which the library otherwise leaves out unless the
// client names them in a `claims` request parameter.
const claims = {
  openid: ['sub', 'tid', 'hd', 'upn', 'amr', 'acr'],
  email: ['email', 'email_verified'],
  profile: ['name', 'preferred_username', 'given_name', 'family_name'],
};

const acrValues = [...new Set(Object.values(accounts).map((a) => a.acr).filter(Boolean))];

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error) {
  const message = error ? `<p role="alert" class="error">${escape(error)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
${message}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Login</label>
<input name="login" id="login" autocomplete="off" autofocus>
<button type="submit">Sign in</button>
</form>
</body></html>`;
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function main() {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const signingKey = {
    ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig',
  };

  let handle = (_req, res) => send(res, 503, 'starting');
  const server = createServer((req, res) => handle(req, res));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.issuer_port ?? 0, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: (config.clients ?? []).map(({ token_endpoint_auth_method: method, ...client }) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      require_auth_time: true,
      token_endpoint_auth_method: method ?? 'client_secret_basic',
      ...client,
    })),
    jwks: { keys: [signingKey] },
    // Cookies ignore ports: named after this provider's, so that neither the bot on another
    // port of 127.0.0.1 nor a second provider in the same browser shares or overwrites them.
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      names: Object.fromEntries(['session', 'interaction', 'resume'].map(
        (name) => [name, `op${server.address().port}_${name}`],
      )),
    },
    claims,
    acrValues,
    scopes: ['openid', 'email', 'profile'],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    pkce: { required: () => true },
    // The scopes' claims go into the ID token too, not only to the UserInfo endpoint.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      IdToken: config.id_token_ttl_seconds ?? 3600,
      AccessToken: 3600,
      AuthorizationCode: 60,
      Grant: 3600,
      Interaction: 600,
      Session: 3600,
    },
    async findAccount(_ctx, sub) {
      if (!Object.hasOwn(accounts, sub)) return undefined;
      return { accountId: sub, claims: async () => ({ ...accounts[sub].claims, sub }) };
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Error</title><h1>${escape(out.error)}</h1>`
        + `<p>${escape(out.error_description ?? '')}</p>`;
    },
  });
  provider.on('server_error', (_ctx, error) => console.error('server_error', error));
  // The library checks a client's metadata when the client is first used: check them all now, so
  // that a wrong configuration stops the start instead of failing a sign-in later.
  for (const { client_id: clientId } of config.clients ?? []) {
    if (!await provider.Client.find(clientId)) throw new Error(`client ${clientId} not loaded`);
  }

  // The interaction pages: the login form, and the consent granted at once.
  async function interaction(req, res, path) {
    const details = await provider.interactionDetails(req, res);
    const { uid, prompt, params, session } = details;
    if (req.method === 'GET' && path === `/interaction/${uid}`) {
      if (prompt.name === 'login') return send(res, 200, loginPage(uid));
      if (prompt.name === 'consent') {
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
        if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
        if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
        const grantId = await grant.save();
        return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      }
      return send(res, 400, `unexpected prompt ${escape(prompt.name)}`);
    }
    if (req.method === 'POST' && path === `/interaction/${uid}/login` && prompt.name === 'login') {
      const login = (await readForm(req)).get('login') ?? '';
      if (!Object.hasOwn(accounts, login)) return send(res, 200, loginPage(uid, 'Unknown account'));
      const { amr, acr } = accounts[login];
      const result = {
        login: { accountId: login, ...(amr ? { amr } : {}), ...(acr ? { acr } : {}) },
      };
      return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    }
    return send(res, 404, 'not found');
  }

  const callback = provider.callback();
  handle = (req, res) => {
    const { pathname } = new URL(req.url, issuer);
    if (!pathname.startsWith('/interaction/')) return callback(req, res);
    return interaction(req, res, pathname).catch((error) => {
      console.error('interaction', error);
      if (!res.headersSent) send(res, error.statusCode ?? 500, escape(error.message));
    });
  };

  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  process.stdout.write(`READY ${issuer}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
