"use strict";
// API v2 through SDK 33's v2 API classes: each of the seven resources listed, added, fetched, updated,
// searched where it can be, and deleted; fields; item search; error bodies.

async function run({ v2, c2, scenario, expect, failure }) {
  const spec = (cls, method) => ({ model: "v2", cls, method });
  const fieldsApi = new v2.DealFieldsApi(c2);
  let budgetKey;
  let sourceOption;

  await scenario("v2.dealFields", async () => {
    const all = await fieldsApi.getDealFields({ limit: 500, include_fields: "ui_visibility,required_fields" });
    const budget = all.data.find((f) => f.field_name === "Budget");
    const source = all.data.find((f) => f.field_name === "Source");
    expect(budget && budget.is_custom_field && budget.field_type === "monetary", "no Budget custom field");
    budgetKey = budget.field_code;
    sourceOption = source.options[0].id;
    const one = await fieldsApi.getDealField({ field_code: "title" });
    const page = await fieldsApi.getDealFields({ limit: 2 });
    const next = await fieldsApi.getDealFields({ limit: 2, cursor: page.additional_data.next_cursor });
    expect(next.data[0].field_code !== page.data[0].field_code, "the fields cursor did not move");
    return [[spec("DealFieldsApi", "getDealFields"), all], [spec("DealFieldsApi", "getDealField"), one],
            [spec("DealFieldsApi", "getDealFields"), page], [spec("DealFieldsApi", "getDealFields"), next]];
  });
  await scenario("v2.dealFields.add_delete", async () => {
    const body = { field_name: "SDK choice", field_type: "set", options: [{ label: "A" }, { label: "B" }] };
    const added = await fieldsApi.addDealField({ AddDealFieldRequest: body });
    const removed = await fieldsApi.deleteDealField({ field_code: added.data.field_code });
    return [[spec("DealFieldsApi", "addDealField"), added], [spec("DealFieldsApi", "deleteDealField"), removed]];
  });
  for (const [cls, method] of [["PersonFieldsApi", "getPersonFields"], ["OrganizationFieldsApi", "getOrganizationFields"],
                               ["ProductFieldsApi", "getProductFields"]]) {
    await scenario(`v2.${method}`, async () => [[spec(cls, method), await new v2[cls](c2)[method]({ limit: 100 })]]);
  }

  const bodies = {
    Deal: { title: "SDK deal", value: 1200, currency: "EUR", person_id: 1, org_id: 1, expected_close_date: "2026-06-30",
            label_ids: [], custom_fields: { [budgetKey]: { value: 2300, currency: "EUR" } } },
    Person: { name: "Sdk Person", emails: [{ value: "sdk@example.com", primary: true, label: "work" }],
              phones: [{ value: "+372 5555 5555", primary: true, label: "mobile" }], org_id: 1, job_title: "Tester",
              birthday: "1990-05-01", postal_address: { value: "1 Main St, Tallinn", locality: "Tallinn" }, notes: "n" },
    Organization: { name: "SDK Org", address: { value: "2 Side St, Tartu", locality: "Tartu" }, website: "https://sdk.example",
                    industry: 5, annual_revenue: 100000, employee_count: 20 },
    Activity: { subject: "SDK call", type: "call", deal_id: 1, person_id: 1, org_id: 1, due_date: "2026-03-01",
                due_time: "10:00", duration: "00:30", busy: true, note: "n", public_description: "d", priority: 1,
                location: { value: "Office" }, participants: [{ person_id: 1, primary: true }],
                attendees: [{ email: "guest@example.com", name: "Guest", person_id: 1 }] },
    Product: { name: "SDK product", code: "SDK-1", unit: "box", tax: 20, description: "d", category: 3,
               billing_frequency: "monthly", billing_frequency_cycles: 12,
               prices: [{ price: 10, cost: 5, currency: "EUR", direct_cost: 1, notes: "" }] },
    Pipeline: { name: "SDK pipeline", is_deal_probability_enabled: true },
    Stage: { name: "SDK stage", pipeline_id: 1, deal_probability: 40, is_deal_rot_enabled: true, days_to_rotten: 10 },
  };
  const updates = {
    Deal: { status: "won", lost_reason: "n/a", probability: 70, custom_fields: { [budgetKey]: null } },
    Person: { name: "Sdk Person Renamed" }, Organization: { website: null, linkedin: "https://linkedin.example/sdk" },
    Activity: { done: true }, Product: { name: "SDK product 2" }, Pipeline: { name: "SDK pipeline 2" },
    Stage: { name: "SDK stage 2" },
  };
  const plural = { Deal: "Deals", Person: "Persons", Organization: "Organizations", Activity: "Activities",
                   Product: "Products", Pipeline: "Pipelines", Stage: "Stages" };
  const search = { Deal: "searchDeals", Person: "searchPersons", Organization: "searchOrganization", Product: "searchProducts" };
  const lists = {
    Deal: [{ limit: 3 }, { owner_id: 777, status: "open,won", sort_by: "update_time", sort_direction: "desc", limit: 4 },
           { pipeline_id: 1, stage_id: 2, updated_since: "2020-01-01T00:00:00Z", limit: 500 }, { status: "deleted" }],
    Person: [{ limit: 3 }, { org_id: 1, sort_by: "add_time", limit: 2 }, { deal_id: 1 }],
    Organization: [{ limit: 3 }, { ids: "1,2", sort_direction: "desc" }],
    Activity: [{ limit: 3 }, { limit: 500 }, { done: true, deal_id: 1, sort_by: "due_date" }, { person_id: 1, limit: 2 }],
    Product: [{ limit: 3 }, { sort_by: "name", sort_direction: "asc" }],
    Pipeline: [{ limit: 1 }, { sort_by: "add_time" }],
    Stage: [{ pipeline_id: 1 }, { sort_by: "order_nr", limit: 3 }],
  };

  for (const entity of Object.keys(plural)) {
    const api = new v2[`${plural[entity]}Api`](c2);
    const cls = `${plural[entity]}Api`;
    let id;
    await scenario(`v2.${entity}.list`, async () => {
      const checks = [];
      for (const params of lists[entity]) {
        const page = await api[`get${plural[entity]}`](params);
        checks.push([spec(cls, `get${plural[entity]}`), page]);
        if (page.additional_data && page.additional_data.next_cursor) {
          const next = await api[`get${plural[entity]}`]({ ...params, cursor: page.additional_data.next_cursor });
          checks.push([spec(cls, `get${plural[entity]}`), next]);
        }
      }
      return checks;
    });
    await scenario(`v2.${entity}.add`, async () => {
      const added = await api[`add${entity}`]({ [`Add${entity}Request`]: bodies[entity] });
      id = added.data.id;
      expect(Number.isInteger(id), "no id");
      return [[spec(cls, `add${entity}`), added]];
    });
    await scenario(`v2.${entity}.get`, async () => [[spec(cls, `get${entity}`), await api[`get${entity}`]({ id })]]);
    await scenario(`v2.${entity}.update`, async () => {
      // The SDK names the update body of activities AddActivityRequest; the others Update…Request.
      const bodyName = entity === "Activity" ? "AddActivityRequest" : `Update${entity}Request`;
      const updated = await api[`update${entity}`]({ id, [bodyName]: updates[entity] });
      return [[spec(cls, `update${entity}`), updated]];
    });
    if (search[entity]) {
      await scenario(`v2.${entity}.search`, async () => {
        const term = entity === "Person" ? "Sdk Person" : `SDK ${entity.toLowerCase()}`.replace("organization", "Org");
        const found = await api[search[entity]]({ term, limit: 5 });
        expect(found.data.items.length >= 1, `searching ${term} found nothing`);
        const exact = await api[search[entity]]({ term: "zz-no-such-thing", exact_match: true });
        return [[spec(cls, search[entity]), found], [spec(cls, search[entity]), exact]];
      });
    }
    await scenario(`v2.${entity}.delete`, async () => {
      const deleted = await api[`delete${entity}`]({ id });
      const error = await failure(api[`get${entity}`]({ id }));
      return [[spec(cls, `delete${entity}`), deleted], [{ model: "v1", type: "CallLogNotFoundResponse" }, error]];
    });
  }

  await scenario("v2.itemSearch", async () => {
    const api = new v2.ItemSearchApi(c2);
    const all = await api.searchItem({ term: "Deal 1", limit: 3 });
    expect(all.data.items.length === 3 && all.additional_data.next_cursor, "expected a full first page");
    const next = await api.searchItem({ term: "Deal 1", limit: 3, cursor: all.additional_data.next_cursor });
    const people = await api.searchItem({ term: "example", item_types: "person", fields: "email" });
    return [[spec("ItemSearchApi", "searchItem"), all], [spec("ItemSearchApi", "searchItem"), next],
            [spec("ItemSearchApi", "searchItem"), people]];
  });
  await scenario("v2.errors.validation_400", async () => {
    const api = new v2.DealsApi(c2);
    const error = await failure(api.addDeal({ AddDealRequest: { title: "x", value: "12" } }));
    expect(error.error.includes("value"), `400 names another field: ${error.error}`);
    const strict = await failure(api.getDeals({ owner_id: "me" }));
    return [[{ model: "v1", type: "CallLogBadRequestResponse" }, error], [{ model: "v1", type: "CallLogBadRequestResponse" }, strict]];
  });
  await scenario("v2.errors.unauthorized_401", async () => {
    const bad = new v2.Configuration({ accessToken: "v1u:not-a-token", basePath: c2.basePath });
    const error = await failure(new v2.DealsApi(bad).getDeals({}));
    expect(error.errorCode === 401, `errorCode ${error.errorCode}`);
    return [[{ model: "v1", type: "UnathorizedResponse" }, error]];
  });
  await scenario("v2.deal.custom_field_enum", async () => {
    const api = new v2.DealsApi(c2);
    const fields = (await new v2.DealFieldsApi(c2).getDealFields({})).data;
    const source = fields.find((f) => f.field_name === "Source").field_code;
    const added = await api.addDeal({ AddDealRequest: { title: "enum", custom_fields: { [source]: sourceOption } } });
    expect(added.data.custom_fields[source] === sourceOption, "the enum value did not stick");
    return [[spec("DealsApi", "addDeal"), added]];
  });
}

module.exports = { run };
