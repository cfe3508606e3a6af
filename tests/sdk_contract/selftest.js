"use strict";
// The validator must be able to fail: hand-written bodies with the emulator's old mistakes (and others)
// are rejected against the SDK's models, and right ones pass. Prints a JSON report; exit 1 on a miss.

const { Validator, load, namedType, returnType } = require("./models");

const v2 = load("33", "v2");
const v1 = load("33", "v1");
const old = load("31", "v1");
const deal = (data) => ({ success: true, data });

const CASES = [
  // [name, model, [class, method] | type name, body, expect problems?]
  ["v2 deal in v1 shape (user_id)", v2, ["DealsApi", "getDeal"], deal({ id: 1, title: "x", user_id: 777 }), true],
  ["v2 deal owner_id as a string", v2, ["DealsApi", "getDeal"], deal({ id: 1, owner_id: "777" }), true],
  ["v2 deal is_deleted as 0", v2, ["DealsApi", "getDeal"], deal({ id: 1, is_deleted: 0 }), true],
  ["v2 deal person_id as an object", v2, ["DealsApi", "getDeal"], deal({ id: 1, person_id: { value: 1 } }), true],
  ["v2 deal value null (not nullable)", v2, ["DealsApi", "getDeal"], deal({ id: 1, value: null }), true],
  ["v2 deal with related_objects", v2, ["DealsApi", "getDeal"], { ...deal({ id: 1 }), related_objects: {} }, true],
  ["v2 product visible_to 2 (not 1/3/5/7)", v2, ["ProductsApi", "getProduct"], deal({ id: 1, visible_to: 2 }), true],
  ["v2 list data not an array", v2, ["DealsApi", "getDeals"], { success: true, data: { id: 1 } }, true],
  ["token response without api_domain", v2, "TokenResponse",
    { access_token: "a", refresh_token: "r", token_type: "Bearer", expires_in: 3599, scope: "base" }, true],
  ["v1 deal with user_id a number", old, ["DealsApi", "getDeal"], deal({ id: 1, user_id: 777 }), true],
  ["v1 deal stage_change_time null", old, ["DealsApi", "getDeal"], deal({ id: 1, stage_change_time: null }), true],
  ["users/me with is_admin", v1, ["UsersApi", "getCurrentUser"], deal({ id: 1, is_admin: 1 }), true],
  ["users/me access entry with a bad app", v1, ["UsersApi", "getCurrentUser"],
    deal({ id: 1, access: [{ app: "crm", admin: true, permission_set_id: "x" }] }), true],
  ["activity type missing required fields", v1, ["ActivityTypesApi", "getActivityTypes"],
    { success: true, data: [{ id: 1, name: "Call" }] }, true],
  ["401 body without errorCode type", v1, "UnathorizedResponse", { success: false, error: "x", errorCode: "401" }, true],
  // ...and bodies that are right pass.
  ["v2 deal, minimal", v2, ["DealsApi", "getDeal"], deal({ id: 1, title: "x", person_id: null, custom_fields: { k: 1 } }), false],
  ["v2 list with a null next_cursor (allowed)", v2, ["DealsApi", "getDeals"],
    { success: true, data: [], additional_data: { next_cursor: null } }, false],
  ["v1 deal with objects", old, ["DealsApi", "getDeal"],
    { ...deal({ id: 1, user_id: { id: 777, name: "U", email: "u@x", has_pic: false, pic_hash: null, active_flag: true, value: 777 } }),
      related_objects: { user: { "777": { id: 777, name: "U", email: "u@x", has_pic: 0, pic_hash: null, active_flag: true } } } },
    false],
  ["401 body as Pipedrive sends it", v1, "UnathorizedResponse",
    { success: false, error: "unauthorized access", errorCode: 401, error_info: "Please check developers.pipedrive.com" }, false],
];

let missed = 0;
const results = CASES.map(([name, model, target, body, bad]) => {
  const type = typeof target === "string" ? namedType(model, target) : returnType(model, target[0], target[1]);
  const problems = new Validator(model).check(type, body);
  const ok = bad ? problems.length > 0 : problems.length === 0;
  if (!ok) missed += 1;
  return { name, expected: bad ? "problems" : "clean", problems, ok };
});
process.stdout.write(JSON.stringify({ results, missed }) + "\n");
process.exit(missed ? 1 : 0);
