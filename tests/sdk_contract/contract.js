"use strict";
// Drives a running pdauth emulator through Pipedrive's official Node SDK (npm `pipedrive` 33 for
// OAuth, v2 and the v1 endpoints Pipedrive keeps; 31 for the v1 deal endpoints 32 dropped) and checks
// every response against the model the SDK declares for that call (models.js).
//
//   node contract.js '{"url": "http://127.0.0.1:PORT", "clientId": ..., "clientSecret": ..., "redirectUri": ...}'
//
// Prints one JSON report on stdout: {scenarios: [{name, problems}], coverage: {...}, allowances: {...}}.
// An emulator with --auto-approve is expected (the consent click is not the SDK's business).

const sdk33 = require("pipedrive");
const sdk31 = require("pipedrive31");
const { ALLOWANCES, Validator, load, namedType, returnType, typeName } = require("./models");

const { v1, v2 } = sdk33;
const cfg = JSON.parse(process.argv[2] || "{}");
const models = { v2: load("33", "v2"), v1: load("33", "v1"), v1old: load("31", "v1") };
const ENTITY_CALLS = {
  v2: [["DealsApi", "getDeal"], ["PersonsApi", "getPerson"], ["OrganizationsApi", "getOrganization"],
       ["ActivitiesApi", "getActivity"], ["ProductsApi", "getProduct"], ["PipelinesApi", "getPipeline"],
       ["StagesApi", "getStage"]],
};
const validators = {};
for (const [name, model] of Object.entries(models)) {
  const entityNames = new Set((ENTITY_CALLS[name] || []).map(([cls, method]) => dataModelName(model, cls, method)));
  validators[name] = new Validator(model, entityNames);
}
const scenarios = [];

function dataModelName(model, cls, method) {
  const c = model.checker;
  const data = c.getNonNullableType(c.getTypeOfSymbol(c.getPropertyOfType(returnType(model, cls, method), "data")));
  return typeName(c, data);
}

// One named step: run `body`, which returns [{model, cls, method} | {model, type}, value] pairs to check.
async function scenario(name, body) {
  const problems = [];
  try {
    const checks = (await body()) || [];
    for (const [spec, value] of checks) {
      const validator = validators[spec.model];
      const type = spec.type ? namedType(models[spec.model], spec.type) : returnType(models[spec.model], spec.cls, spec.method);
      problems.push(...validator.check(type, value).map((p) => `${spec.type || spec.cls + "." + spec.method}: ${p}`));
    }
  } catch (error) {
    problems.push(`threw: ${describe(error)}`);
  }
  scenarios.push({ name, problems });
}

function describe(error) {
  if (error && error.success === false) return `API error ${JSON.stringify(error)}`;
  return error && error.stack ? error.stack.split("\n").slice(0, 3).join(" | ") : String(error);
}

function expect(condition, message) {
  if (!condition) throw new Error(`expectation failed: ${message}`);
}

async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    if (error && typeof error === "object" && "success" in error) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

async function main() {
  const oauth2 = new v2.OAuth2Configuration({
    clientId: cfg.clientId, clientSecret: cfg.clientSecret, redirectUri: cfg.redirectUri, host: cfg.url,
  });
  let code;
  let token;
  await scenario("oauth.authorization_url", async () => {
    // The SDK's URL has client_id and redirect_uri only (no state): the emulator must accept it.
    const url = new URL(oauth2.authorizationUrl);
    expect(url.origin === cfg.url && url.pathname === "/oauth/authorize", `authorize URL ${url}`);
    const answer = await fetch(oauth2.authorizationUrl, { redirect: "manual" });
    expect(answer.status === 302, `authorize answered ${answer.status}`);
    const location = new URL(answer.headers.get("location"));
    expect(location.href.startsWith(cfg.redirectUri), `redirected to ${location}`);
    code = location.searchParams.get("code");
    expect(code && !location.searchParams.has("error"), "no code in the redirect");
  });
  await scenario("oauth.authorize", async () => {
    token = await oauth2.authorize(code);
    expect(oauth2.basePath === `${token.api_domain}/api/v2`, `basePath ${oauth2.basePath}`);
    return [[{ model: "v2", type: "TokenResponse" }, token]];
  });
  await scenario("oauth.refresh", async () => {
    const refreshed = await oauth2.tokenRefresh();
    expect(refreshed.access_token !== token.access_token, "refresh gave the same access token");
    expect(refreshed.refresh_token === token.refresh_token, "Pipedrive keeps the refresh token");
    return [[{ model: "v2", type: "TokenResponse" }, refreshed]];
  });

  const accessToken = oauth2.getAccessToken;
  const c2 = new v2.Configuration({ accessToken, basePath: oauth2.basePath });
  const c1 = new v1.Configuration({ accessToken, basePath: `${token.api_domain}/api/v1` });
  const c31 = new sdk31.v1.Configuration({ accessToken, basePath: `${token.api_domain}/api/v1` });

  await require("./scenarios_v2").run({ v2, c2, scenario, expect, failure, cfg });
  await require("./scenarios_v1").run({ v1, c1, old: sdk31.v1, c31, scenario, expect, failure, cfg });

  await scenario("oauth.revoke_access_token", async () => {
    const answer = await oauth2.revokeToken("access_token");
    expect(answer.status === 200, `revoke answered ${answer.status}`);
    const error = await failure(new v2.DealsApi(c2).getDeals({ limit: 1 }));
    return [[{ model: "v1", type: "UnathorizedResponse" }, error]];
  });
  await scenario("oauth.revoke_refresh_token", async () => {
    const answer = await oauth2.revokeToken("refresh_token");
    expect(answer.status === 200, `revoke answered ${answer.status}`);
    let refused = false;
    try {
      await oauth2.tokenRefresh();
    } catch (error) {
      refused = error && error.error === "invalid_grant";
    }
    expect(refused, "the refresh token still works after it was revoked");
  });

  const coverage = {};
  for (const validator of Object.values(validators)) {
    for (const [model, entry] of validator.coverage) {
      coverage[model] = [...entry.declared].filter((k) => !entry.seen.has(k));
    }
  }
  const allowances = {};
  for (const allowance of ALLOWANCES) {
    const used = Object.values(validators).reduce((n, v) => n + (v.used.get(allowance.id) || 0), 0);
    allowances[allowance.id] = { used, why: allowance.why };
  }
  process.stdout.write(JSON.stringify({ scenarios, coverage, allowances }) + "\n");
}

main().catch((error) => {
  process.stderr.write(`contract.js crashed: ${describe(error)}\n`);
  process.exit(2);
});
