"use strict";
// The v1 endpoints Pipedrive keeps, through SDK 33's v1 classes (users, notes, leads, currencies,
// activity types, webhooks), and the deprecated v1 deal endpoints through SDK 31.

async function run({ v1, c1, old, c31, scenario, expect, failure }) {
  const spec = (cls, method) => ({ model: "v1", cls, method });
  const oldSpec = (cls, method) => ({ model: "v1old", cls, method });

  await scenario("v1.users", async () => {
    const api = new v1.UsersApi(c1);
    const me = await api.getCurrentUser();
    expect(me.data.id === 777 && Array.isArray(me.data.access) && !("is_admin" in me.data), "users/me shape");
    return [[spec("UsersApi", "getCurrentUser"), me], [spec("UsersApi", "getUsers"), await api.getUsers()],
            [spec("UsersApi", "getUser"), await api.getUser({ id: 777 })]];
  });
  await scenario("v1.currencies", async () => {
    const api = new v1.CurrenciesApi(c1);
    const some = await api.getCurrencies({ term: "eu" });
    expect(some.data.length === 1 && some.data[0].code === "EUR", "term did not filter");
    return [[spec("CurrenciesApi", "getCurrencies"), await api.getCurrencies({})], [spec("CurrenciesApi", "getCurrencies"), some]];
  });
  await scenario("v1.activityTypes", async () => {
    const api = new v1.ActivityTypesApi(c1);
    const added = await api.addActivityType({ AddActivityTypeRequest: { name: "SDK visit", icon_key: "car", color: "00FF00" } });
    const id = added.data.id;
    const updated = await api.updateActivityType({ id, UpdateActivityTypeRequest: { name: "SDK visit 2", order_nr: 9 } });
    const removed = await api.deleteActivityType({ id });
    expect(removed.data.active_flag === false, "a deleted activity type stays, inactive");
    return [[spec("ActivityTypesApi", "getActivityTypes"), await api.getActivityTypes()],
            [spec("ActivityTypesApi", "addActivityType"), added], [spec("ActivityTypesApi", "updateActivityType"), updated],
            [spec("ActivityTypesApi", "deleteActivityType"), removed]];
  });
  await scenario("v1.notes", async () => {
    const api = new v1.NotesApi(c1);
    const added = await api.addNote({ AddNoteRequest: { content: "SDK note", deal_id: 1, pinned_to_deal_flag: 1 } });
    const id = added.data.id;
    const checks = [[spec("NotesApi", "addNote"), added]];
    checks.push([spec("NotesApi", "getNote"), await api.getNote({ id })]);
    checks.push([spec("NotesApi", "updateNote"), await api.updateNote({ id, NoteRequest: { content: "SDK note 2" } })]);
    checks.push([spec("NotesApi", "getNotes"), await api.getNotes({ deal_id: 1, limit: 2 })]);
    checks.push([spec("NotesApi", "getNotes"), await api.getNotes({ start: 1, limit: 1 })]);
    checks.push([spec("NotesApi", "deleteNote"), await api.deleteNote({ id })]);
    return checks;
  });
  await scenario("v1.leads", async () => {
    const api = new v1.LeadsApi(c1);
    const body = { title: "SDK lead", person_id: 1, value: { amount: 500, currency: "EUR" }, expected_close_date: "2026-04-01" };
    const added = await api.addLead({ AddLeadRequest: body });
    const id = added.data.id;
    const checks = [[spec("LeadsApi", "addLead"), added]];
    checks.push([spec("LeadsApi", "getLead"), await api.getLead({ id })]);
    checks.push([spec("LeadsApi", "updateLead"), await api.updateLead({ id, UpdateLeadRequest: { title: "SDK lead 2", value: null } })]);
    checks.push([spec("LeadsApi", "getLeads"), await api.getLeads({ limit: 3 })]);
    checks.push([spec("LeadsApi", "deleteLead"), await api.deleteLead({ id })]);
    return checks;
  });

  const deals = new old.DealsApi(c31);
  let dealId;
  await scenario("v1.deals.list", async () => {
    const first = await deals.getDeals({ limit: 2 });
    expect(first.additional_data.pagination.next_start === 2, "v1 pagination");
    const second = await deals.getDeals({ start: 2, limit: 2, status: "open" });
    const empty = await deals.getDeals({ start: 100000 });
    expect(empty.data === null, "an empty v1 page has data: null");
    return [[oldSpec("DealsApi", "getDeals"), first], [oldSpec("DealsApi", "getDeals"), second], [oldSpec("DealsApi", "getDeals"), empty]];
  });
  await scenario("v1.deals.crud", async () => {
    const added = await deals.addDeal({ AddDealRequest: { title: "SDK v1 deal", value: "300", person_id: 1, org_id: 1 } });
    dealId = added.data.id;
    expect(added.data.user_id.id === 777 && added.data.person_id.value === 1, "v1 deal objects");
    const fetched = await deals.getDeal({ id: dealId });
    const updated = await deals.updateDeal({ id: dealId, UpdateDealRequest: { status: "lost", person_id: null } });
    expect(updated.data.person_id === null, "unlinking a person gives null");
    const removed = await deals.deleteDeal({ id: dealId });
    return [[oldSpec("DealsApi", "addDeal"), added], [oldSpec("DealsApi", "getDeal"), fetched],
            [oldSpec("DealsApi", "updateDeal"), updated], [oldSpec("DealsApi", "deleteDeal"), removed]];
  });
  await scenario("v1.deals.not_found_404", async () => {
    const error = await failure(deals.getDeal({ id: dealId }));
    return [[{ model: "v1", type: "CallLogNotFoundResponse" }, error]];
  });

  await scenario("v1.webhooks", async () => {
    const api = new v1.WebhooksApi(c1);
    const body = { subscription_url: "http://127.0.0.1:9/hook", event_action: "create", event_object: "deal",
                   name: "SDK hook", version: "2.0", http_auth_user: "u", http_auth_password: "p" };
    const added = await api.addWebhook({ AddWebhookRequest: body });
    const listed = await api.getWebhooks();
    const removed = await api.deleteWebhook({ id: added.data.id });
    const refused = await failure(api.addWebhook({ AddWebhookRequest: { ...body, subscription_url: "https://example.com/hook" } }));
    return [[spec("WebhooksApi", "addWebhook"), added], [spec("WebhooksApi", "getWebhooks"), listed],
            [spec("WebhooksApi", "deleteWebhook"), removed], [{ model: "v1", type: "CallLogBadRequestResponse" }, refused]];
  });
}

module.exports = { run };
