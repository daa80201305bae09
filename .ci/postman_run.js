// Converts an OpenAPI document to a Postman collection with openapi-to-postmanv2, as a Postman
// user would (interface v1 `convert` or v2 `convertV2`, the CLI's default, with default options),
// checks that the generated refresh, verify and logout requests carry a body the server takes
// (`{}` or an empty form, never the `<object>` placeholder), then runs those generated requests
// unchanged with newman against the live server: refresh, verify with the new token, logout,
// then verify again, which must be a 401. Only the server's address and the first token are set,
// as variables, as a user would. Run by .ci/postman.
//
// usage: node .ci/postman_run.js FILE v1|v2 BASE_URL TOKEN
'use strict';
const fs = require('fs');
const converter = require('openapi-to-postmanv2');
const newman = require('newman');

const [file, iface, baseUrl, token] = process.argv.slice(2);
const fail = (message) => {
  console.error(`postman: ${file} (${iface}): ${message}`);
  process.exit(1);
};

const convert = iface === 'v1' ? converter.convert : converter.convertV2;
convert({ type: 'json', data: fs.readFileSync(file, 'utf8') }, {}, (error, result) => {
  if (error || !result.result) fail(`conversion failed: ${error || result.reason}`);
  const generated = result.output[0].data;
  const requests = [];
  const flatten = (items) => items.forEach((i) => (i.item ? flatten(i.item) : requests.push(i)));
  flatten(generated.item);
  const find = (name) => {
    const item = requests.find(
      (i) => i.request.method === 'POST' && i.request.url.path.join('/') === `ccstore/v1/${name}`,
    );
    if (!item) fail(`no POST /ccstore/v1/${name} in the collection`);
    const body = item.request.body || {};
    const takes = body.mode === 'urlencoded'
      ? body.urlencoded.length === 0
      : body.mode === 'raw' && body.raw.trim() === '{}';
    if (!takes) fail(`${name}: generated body ${JSON.stringify(body)} is not {} or an empty form`);
    console.log(`postman: ${file} (${iface}): ${name} sends ${body.mode === 'raw' ? body.raw : 'an empty form'}`);
    return JSON.parse(JSON.stringify(item));
  };
  const step = (name, label, tests) => {
    const item = find(name);
    item.name = label;
    item.event = [{ listen: 'test', script: { type: 'text/javascript', exec: tests } }];
    return item;
  };
  const collection = {
    info: generated.info,
    variable: [
      { key: 'baseUrl', value: baseUrl },
      { key: 'bearerToken', value: token },
    ],
    item: [
      step('refresh', 'refresh', [
        'pm.test("refresh is 200 with a bearer token and an integer expiry", () => {',
        '  pm.response.to.have.status(200);',
        '  const body = pm.response.json();',
        '  pm.expect(body.access_token).to.be.a("string").and.not.empty;',
        '  pm.expect(body.token_type).to.eql("bearer");',
        '  pm.expect(Number.isInteger(body.expires_in)).to.be.true;',
        '  pm.collectionVariables.set("bearerToken", body.access_token);',
        '});',
      ]),
      step('verify', 'verify the refreshed token', [
        'pm.test("verify is 200 {success: true}", () => {',
        '  pm.response.to.have.status(200);',
        '  pm.expect(pm.response.json()).to.eql({ success: true });',
        '});',
      ]),
      step('logout', 'logout', [
        'pm.test("logout is 200 {result: true}", () => {',
        '  pm.response.to.have.status(200);',
        '  pm.expect(pm.response.json()).to.eql({ result: true });',
        '});',
      ]),
      step('verify', 'verify after logout', [
        'pm.test("verify after logout is the OCC 401 errorModel", () => {',
        '  pm.response.to.have.status(401);',
        '  pm.response.to.have.header("WWW-Authenticate");',
        '  const body = pm.response.json();',
        '  pm.expect(body.status).to.eql("401");',
        '  pm.expect(body.errorCode).to.eql("00001000");',
        '});',
      ]),
    ],
  };
  newman.run({ collection, reporters: ['cli'] }, (runError, summary) => {
    if (runError) fail(`newman failed: ${runError}`);
    const { requests: sent, assertions } = summary.run.stats;
    console.log(
      `postman: ${file} (${iface}): newman sent ${sent.total} requests (${sent.failed} failed), ` +
        `${assertions.total} assertions (${assertions.failed} failed)`,
    );
    if (summary.run.failures.length || sent.total !== 4 || assertions.total !== 4) {
      fail('the run did not pass');
    }
  });
});
