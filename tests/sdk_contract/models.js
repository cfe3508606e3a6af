"use strict";
// The SDK's generated TypeScript declarations as a validator: load them with the TypeScript compiler,
// resolve what an API method is declared to return, and check a JSON value against that type.
//
// The rule (docs/emulator.md, "SDK contract"):
//   1. every property sent must be declared by the model (or typed by its index signature);
//   2. every value must have the declared type: string, number (finite), boolean, the literal values of
//      an enum, arrays element by element, objects recursively; null only where the model says `| null`;
//      a union is satisfied by any one member;
//   3. every property the model marks required (no `?`) must be present;
//   4. (coverage, checked by the suite) every property of a v2 entity model is sent at least once.
// A short list of ALLOWANCES relaxes rules 1-2 where the models are known to be narrower than
// Pipedrive's responses; each names its reason, and the report counts how often each was used.

const path = require("path");
const ts = require("typescript");

const SDKS = {
  "33": path.join(__dirname, "node_modules", "pipedrive"),
  "31": path.join(__dirname, "node_modules", "pipedrive31"),
};

const ALLOWANCES = [
  {
    id: "next-cursor-null",
    why: "additional_data.next_cursor is typed string, but the model's own doc comment says it is null on the last page",
    applies: (ctx) => ctx.prop === "next_cursor" && ctx.value === null,
  },
  {
    id: "v1-empty-list-null",
    why: "Pipedrive's v1 lists answer data: null for an empty page; the models type data as an array",
    applies: (ctx) => ctx.sdk === "31" && ctx.path === "$.data" && ctx.value === null,
  },
  {
    id: "v1-deal-unlinked-null",
    why: "a v1 deal without a person or organization has person_id/org_id null; the models declare only objects",
    applies: (ctx) => ctx.sdk === "31" && (ctx.prop === "person_id" || ctx.prop === "org_id") && ctx.value === null,
  },
  {
    id: "v1-custom-field-keys",
    why: "v1 puts custom fields at the top level of a deal, keyed by their 40-hex key (and key_currency)",
    applies: (ctx) => ctx.undeclared && ctx.sdk === "31" && /^[0-9a-f]{40}(_currency)?$/.test(ctx.prop),
  },
  {
    id: "v1-deals-pagination",
    why: "v1 GET /deals sends additional_data.pagination {start, limit, more_items_in_collection, next_start} as "
      + "Pipedrive documents; SDK 31's model declares those fields one level up",
    applies: (ctx) => ctx.undeclared && ctx.sdk === "31" && ctx.path === "$.additional_data.pagination"
      && isPagination(ctx.value),
  },
  {
    id: "related-objects-ids",
    why: "related_objects maps are keyed by real ids; the models spell the key as a placeholder (USER_ID, ...)",
    applies: (ctx) => ctx.undeclared && /^\d+$/.test(ctx.prop) && ctx.placeholder !== null,
  },
  {
    id: "auth-error-info",
    why: "401/403 bodies carry error_info (live captures); UnathorizedResponse declares success, error, errorCode",
    applies: (ctx) => ctx.undeclared && ctx.model === "UnathorizedResponse" && ctx.prop === "error_info"
      && typeof ctx.value === "string",
  },
];

function isPagination(value) {
  if (!value || typeof value !== "object") return false;
  const keys = Object.keys(value);
  return keys.every((k) => ["start", "limit", "more_items_in_collection", "next_start"].includes(k))
    && Number.isInteger(value.start) && Number.isInteger(value.limit)
    && typeof value.more_items_in_collection === "boolean";
}

const INDEXES = [["33", "v2"], ["33", "v1"], ["31", "v1"]];
let shared = null;
const models = {};

// One program over all three declaration sets: they share TypeScript's lib and axios, and parsing
// those once halves the start-up time.
function program() {
  if (shared === null) {
    const roots = INDEXES.map(([sdk, version]) => indexFile(sdk, version));
    const options = { strict: true, noEmit: true, types: [], skipLibCheck: true, lib: ["lib.es2018.d.ts"] };
    shared = ts.createProgram(roots, options);
  }
  return shared;
}

function indexFile(sdk, version) {
  return path.join(SDKS[sdk], "dist", "versions", version, "index.d.ts");
}

function load(sdk, version) {
  const key = `${sdk}/${version}`;
  if (models[key]) return models[key];
  const checker = program().getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program().getSourceFile(indexFile(sdk, version)));
  const exportsByName = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.name, s]));
  models[key] = { sdk, version, checker, exportsByName };
  return models[key];
}

function namedType(model, name) {
  let symbol = model.exportsByName.get(name);
  if (!symbol) throw new Error(`SDK ${model.sdk} ${model.version} exports no ${name}`);
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = model.checker.getAliasedSymbol(symbol);
  return model.checker.getDeclaredTypeOfSymbol(symbol);
}

// What `new Api(config).method(...)` is declared to resolve to: the `T` of its `Promise<T>`.
function returnType(model, className, method) {
  const cls = namedType(model, className);
  const prop = cls.getProperty(method);
  if (!prop) throw new Error(`${className} has no method ${method}`);
  const signature = model.checker.getTypeOfSymbol(prop).getCallSignatures()[0];
  const promised = signature.getReturnType();
  return model.checker.getTypeArguments(promised)[0];
}

function typeName(checker, type) {
  const symbol = type.aliasSymbol || type.getSymbol();
  return symbol && symbol.name !== "__type" ? symbol.name : checker.typeToString(type);
}

class Validator {
  constructor(model, coverageNames = new Set()) {
    this.model = model;
    this.checker = model.checker;
    this.coverageNames = coverageNames;
    this.coverage = new Map(); // model name -> {declared: Set, seen: Set}
    this.used = new Map(); // allowance id -> count
  }

  check(type, value) {
    const problems = [];
    this.visit(type, value, "$", problems, { model: typeName(this.checker, type), prop: null });
    return problems;
  }

  allow(ctx) {
    const full = { sdk: this.model.sdk, placeholder: null, undeclared: false, ...ctx };
    const hit = ALLOWANCES.find((a) => a.applies(full));
    if (hit) this.used.set(hit.id, (this.used.get(hit.id) || 0) + 1);
    return Boolean(hit);
  }

  visit(type, value, at, problems, ctx) {
    const c = this.checker;
    const f = type.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (type.isUnion()) {
      // `undefined` in a union only marks the property optional: JSON has no undefined.
      const members = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
      if (members.length === 1) return this.visit(members[0], value, at, problems, ctx);
      let best = null;
      let shallow = true; // every member failed on the value itself, not inside it
      for (const member of members) {
        const attempt = [];
        this.visit(member, value, at, attempt, ctx);
        if (attempt.length === 0) return;
        shallow = shallow && attempt.every((p) => p.startsWith(`${at}: `));
        if (best === null || attempt.length < best.length) best = attempt;
      }
      if (value === null && this.allow({ ...ctx, path: at, value })) return;
      if (shallow || best === null) problems.push(`${at}: ${short(value)} fits none of ${c.typeToString(type)}`);
      else problems.push(...best);
      return;
    }
    if (value === null) {
      if (f & ts.TypeFlags.Null) return;
      if (this.allow({ ...ctx, path: at, value })) return;
      problems.push(`${at}: null, but the model declares ${c.typeToString(type)} (not nullable)`);
      return;
    }
    if (f & ts.TypeFlags.Null) return problems.push(`${at}: ${JSON.stringify(value)} where the model says null`);
    if (f & ts.TypeFlags.StringLiteral) {
      if (value !== type.value) problems.push(`${at}: ${JSON.stringify(value)} is not "${type.value}"`);
      return;
    }
    if (f & ts.TypeFlags.NumberLiteral) {
      if (value !== type.value) problems.push(`${at}: ${JSON.stringify(value)} is not ${type.value}`);
      return;
    }
    if (f & ts.TypeFlags.BooleanLiteral) {
      const expected = type.intrinsicName === "true";
      if (value !== expected) problems.push(`${at}: ${JSON.stringify(value)} is not ${expected}`);
      return;
    }
    if (f & ts.TypeFlags.String) {
      if (typeof value !== "string") problems.push(`${at}: ${JSON.stringify(value)} is not a string`);
      return;
    }
    if (f & ts.TypeFlags.Number) {
      if (typeof value !== "number" || !Number.isFinite(value)) problems.push(`${at}: ${JSON.stringify(value)} is not a number`);
      return;
    }
    if (f & ts.TypeFlags.Boolean) {
      if (typeof value !== "boolean") problems.push(`${at}: ${JSON.stringify(value)} is not a boolean`);
      return;
    }
    if (f & ts.TypeFlags.NonPrimitive) { // `object`
      if (typeof value !== "object") problems.push(`${at}: ${JSON.stringify(value)} is not an object`);
      return;
    }
    if (c.isArrayType(type)) {
      if (!Array.isArray(value)) return problems.push(`${at}: ${short(value)} is not an array`);
      const element = c.getTypeArguments(type)[0];
      value.forEach((item, i) => this.visit(element, item, `${at}[${i}]`, problems, ctx));
      return;
    }
    if (f & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) return this.visitObject(type, value, at, problems);
    problems.push(`${at}: the validator does not know the type ${c.typeToString(type)}`);
  }

  visitObject(type, value, at, problems) {
    const c = this.checker;
    const model = typeName(c, type);
    if (typeof value !== "object" || Array.isArray(value)) {
      return problems.push(`${at}: ${short(value)} is not an object (${model})`);
    }
    const props = c.getPropertiesOfType(type);
    const declared = new Map(props.map((p) => [p.name, p]));
    const index = c.getIndexInfosOfType(type)[0];
    // A model whose only key is an upper-case placeholder (USER_ID) describes a map keyed by ids.
    const placeholder = props.length === 1 && /^[A-Z_]+_ID$/.test(props[0].name) ? props[0] : null;
    if (this.coverageNames.has(model)) {
      const entry = this.coverage.get(model) || { declared: new Set(declared.keys()), seen: new Set() };
      Object.keys(value).forEach((k) => entry.seen.add(k));
      this.coverage.set(model, entry);
    }
    for (const [key, item] of Object.entries(value)) {
      const prop = declared.get(key);
      if (prop) {
        this.visit(c.getTypeOfSymbol(prop), item, `${at}.${key}`, problems, { model, prop: key });
      } else if (index) {
        this.visit(index.type, item, `${at}.${key}`, problems, { model, prop: key });
      } else if (placeholder && /^\d+$/.test(key) && this.allow({ model, prop: key, path: `${at}.${key}`, value: item, undeclared: true, placeholder })) {
        this.visit(c.getTypeOfSymbol(placeholder), item, `${at}.${key}`, problems, { model, prop: key });
      } else if (!this.allow({ model, prop: key, path: `${at}.${key}`, value: item, undeclared: true })) {
        problems.push(`${at}.${key}: not declared by ${model}`);
      }
    }
    for (const prop of props) {
      if (!(prop.flags & ts.SymbolFlags.Optional) && !(prop.name in value) && prop !== placeholder) {
        problems.push(`${at}.${prop.name}: required by ${model}, missing`);
      }
    }
  }
}

function short(value) {
  const text = JSON.stringify(value);
  return text && text.length > 60 ? text.slice(0, 57) + "..." : text;
}

module.exports = { ALLOWANCES, Validator, load, namedType, returnType, typeName };
