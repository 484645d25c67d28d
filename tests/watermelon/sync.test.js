// The real WatermelonDB sync engine (LokiJS adapter, no React) against a running gridhub: the
// stock `synchronize()` with no adapter code, as a grid worker's phone runs it. Starts gridhub
// itself (GRIDHUB_BIN, as scripts/gridhub-bin prints it; default ../../target/debug/gridhub) with the demo data on a fresh SQLite
// database, and stops it at the end.
//
//   npm test            (from tests/watermelon, after `cargo build` and `npm ci`)

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

const { Database, Model, Q, appSchema, tableSchema } = require('@nozbe/watermelondb')
const { schemaMigrations, addColumns, createTable } = require('@nozbe/watermelondb/Schema/migrations')
const LokiJSAdapter = require('@nozbe/watermelondb/adapters/lokijs').default
const { synchronize } = require('@nozbe/watermelondb/sync')
const { LokiMemoryAdapter } = require('lokijs')
const crypto = require('node:crypto')

// The stock client must have nothing to warn about: every warning or error it logs fails the run.
const logged = []
for (const level of ['warn', 'error']) {
  const original = console[level]
  console[level] = (...args) => {
    logged.push(`${level}: ${args.map(String).join(' ')}`)
    original(...args)
  }
}

// ---- the phone app's schema: gridhub's own, from GET /api/v1/sync/schema ----

/** Each schema version → its table names → their columns, fetched once gridhub runs. */
const columns = {}

async function fetchSchema() {
  const token = await login('worker.li')
  for (const version of [1, 2]) {
    const res = await fetch(`${base}/api/v1/sync/schema?version=${version}`, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(res.status, 200, `the phone schema, version ${version}`)
    const schema = await res.json()
    columns[version] = Object.fromEntries(schema.tables.map((t) => [t.name, t.columns]))
  }
}

const columnSchema = (c) => ({ name: c.name, type: c.type, isOptional: c.optional })

function schemaOf(version) {
  return appSchema({
    version,
    tables: Object.entries(columns[version]).map(([name, cols]) => tableSchema({ name, columns: cols.map(columnSchema) })),
  })
}

/** The app's migration from schema 1 to 2, as an app would write it from the two schemas. */
function migrationsTo2() {
  const steps = []
  for (const [name, cols] of Object.entries(columns[2])) {
    const old = columns[1][name]
    if (!old) {
      steps.push(createTable({ name, columns: cols.map(columnSchema) }))
    } else {
      const added = cols.filter((c) => !old.some((o) => o.name === c.name))
      if (added.length) steps.push(addColumns({ table: name, columns: added.map(columnSchema) }))
    }
  }
  return schemaMigrations({ migrations: [{ toVersion: 2, steps }] })
}

const modelsOf = (version) => Object.keys(columns[version]).map((table) => class extends Model { static table = table })

let dbs = 0
function phone(schema, migrations, lokiAdapter, dbName) {
  dbs += 1
  const adapter = new LokiJSAdapter({
    schema,
    migrations,
    useWebWorker: false,
    useIncrementalIndexedDB: true,
    dbName: dbName || `phone${dbs}`,
    _testLokiAdapter: lokiAdapter || new LokiMemoryAdapter(),
  })
  return new Database({ adapter, modelClasses: modelsOf(schema.version) })
}

// ---- gridhub ----

let base
let server
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridhub-watermelon-'))

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function api(method, route, token, body, headers = {}) {
  const res = await fetch(base + route, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

async function login(username, password = 'gridhub-demo') {
  const res = await api('POST', '/api/v1/auth/login', null, { username, password })
  assert.equal(res.status, 200, `login ${username}`)
  return res.body.access_token
}

/** The stock synchronize(), talking to gridhub exactly as its docs show. */
function sync(database, token, { beforePush, afterPush, migrationsEnabledAtVersion, onPull } = {}) {
  return synchronize({
    database,
    migrationsEnabledAtVersion,
    pullChanges: async ({ lastPulledAt, schemaVersion, migration }) => {
      const query = `last_pulled_at=${lastPulledAt}&schema_version=${schemaVersion}&migration=${encodeURIComponent(JSON.stringify(migration))}`
      const res = await fetch(`${base}/api/v1/sync?${query}`, { headers: { authorization: `Bearer ${token}` } })
      if (!res.ok) throw new Error(`pull: ${res.status} ${await res.text()}`)
      const answer = await res.json()
      if (onPull) onPull({ lastPulledAt, migration, answer })
      return answer
    },
    pushChanges: async ({ changes, lastPulledAt }) => {
      if (beforePush) await beforePush(changes)
      const res = await fetch(`${base}/api/v1/sync?last_pulled_at=${lastPulledAt}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
        body: JSON.stringify(changes),
      })
      if (!res.ok) throw new Error(`push: ${res.status} ${await res.text()}`)
      const answer = await res.json()
      if (afterPush) await afterPush()
      return answer
    },
  })
}

const all = (db, table) => db.get(table).query().fetch()
const find = async (db, table, id) => (await db.get(table).query(Q.where('id', id)).fetch())[0]

/** Starts gridhub on the test's database (loading the demo data into it the first time). */
async function start() {
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  const bin = process.env.GRIDHUB_BIN || path.join(__dirname, '..', '..', 'target', 'debug', 'gridhub')
  if (!fs.existsSync(bin)) {
    throw new Error(`no gridhub binary at ${bin}: build it (scripts/gridhub-bin prints where cargo put it) and set GRIDHUB_BIN`)
  }
  server = spawn(bin, ['serve', '--demo', '--bind', `127.0.0.1:${port}`], {
    env: { ...process.env, GRIDHUB_DATABASE_URL: `sqlite://${path.join(dir, 'gridhub.db')}`, GRIDHUB_DATA_DIR: path.join(dir, 'data'), GRIDHUB_LOG: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  for (let i = 0; i < 300; i += 1) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return
    } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('gridhub did not start')
}

before(async () => {
  await start()
  await fetchSchema()
})

let failed = false

after(() => {
  if (server) server.kill('SIGTERM')
  fs.rmSync(dir, { recursive: true, force: true })
  // LokiJS keeps autosave timers running: leave once the results are out
  setTimeout(() => process.exit(failed ? 1 : 0), 200)
})

test('two phones, the office between them, and a schema migration', async () => {
  try {
    await twoPhones()
  } catch (e) {
    failed = true
    throw e
  }
})

test('killed in the middle of a large push, then retried: one copy of every record', async () => {
  try {
    await killedMidPush()
  } catch (e) {
    failed = true
    throw e
  }
})

test('the stock client logged no warning and no error', () => {
  // the last test of the file: node:test runs them in order
  if (logged.length) failed = true
  assert.deepEqual(logged, [])
})

async function killedMidPush() {
  const li = await login('worker.li')
  const me = (await api('GET', '/api/v1/auth/me', li)).body
  const pulled = await (await fetch(`${base}/api/v1/sync?last_pulled_at=null&schema_version=1`, { headers: { authorization: `Bearer ${li}` } })).json()
  const cell = pulled.changes.cells.created.find((c) => c.id === me.assigned_cells[0].cell_id)
  const ring = JSON.parse(cell.boundary).coordinates[0]
  const [lng, lat] = [(ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2]
  const records = Array.from({ length: 5000 }, (_, k) => ({
    id: `bulk${String(k).padStart(8, '0')}`, category_code: 'SJ0102', title: `第${k}处垃圾`, description: '', lng, lat, crs: 'wgs84',
    priority: 'normal', reported_at: Date.now(), _status: 'created', _changed: '',
  }))
  const body = JSON.stringify({ cases: { created: records, updated: [], deleted: [] } })
  const pushOnce = () => fetch(`${base}/api/v1/sync?last_pulled_at=${pulled.timestamp}`, {
    method: 'POST', headers: { authorization: `Bearer ${li}`, 'content-type': 'text/plain' }, body,
  })
  // SIGKILL while the push is being applied
  const inFlight = pushOnce().then((r) => r.status, () => 'cut off')
  await new Promise((r) => setTimeout(r, 300))
  server.kill('SIGKILL')
  await new Promise((r) => server.once('exit', r))
  assert.equal(await inFlight, 'cut off', 'the server died before answering')
  await start()
  const token = await login('worker.li')
  const office = await login('gongyuan.office')
  const res = await fetch(`${base}/api/v1/sync?last_pulled_at=${pulled.timestamp}`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body,
  })
  assert.equal(res.status, 200, await res.text())
  // the retry again, as a phone whose answer was lost would: still one copy
  const again = await fetch(`${base}/api/v1/sync?last_pulled_at=${pulled.timestamp}`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body,
  })
  assert.equal(again.status, 200)
  const seen = new Map()
  let cursor = null
  do {
    const page = (await api('GET', `/api/v1/cases?limit=500&category=SJ0102${cursor ? `&cursor=${cursor}` : ''}`, office)).body
    for (const c of page.items) seen.set(c.id, (seen.get(c.id) || 0) + 1)
    cursor = page.next_cursor
  } while (cursor)
  const bulk = [...seen.entries()].filter(([id]) => id.startsWith('bulk'))
  assert.equal(bulk.length, 5000, 'every record')
  assert.ok(bulk.every(([, n]) => n === 1), 'once each')
}

async function twoPhones() {
  const office = await login('gongyuan.office')
  const li = await login('worker.li')
  const me = (await api('GET', '/api/v1/auth/me', li)).body
  const cells = me.assigned_cells.map((c) => c.cell_id || c.id)
  assert.ok(cells.length >= 2, 'worker.li holds cells')
  // a second worker in the same cells, with a phone of their own
  const made = await api('POST', '/api/v1/users', office, {
    username: 'worker.zhou', password: 'zhou-phone-pass', display_name: '周敏', role: 'grid_worker', scope_id: me.user.scope_id,
  })
  assert.equal(made.status, 201, JSON.stringify(made.body))
  const zhouAssignments = []
  for (const cell of cells.slice(0, 2)) {
    const a = await api('POST', `/api/v1/cells/${cell}/assignments`, office, { user_id: made.body.id, duty: 'part_time_worker' })
    assert.equal(a.status, 201, JSON.stringify(a.body))
    zhouAssignments.push(a.body.assignment.id)
  }
  const zhou = await login('worker.zhou', 'zhou-phone-pass')

  const A = phone(schemaOf(1))
  const B = phone(schemaOf(1))
  await sync(A, li)
  await sync(B, zhou)
  assert.equal((await all(A, 'cells')).length, cells.length)
  assert.equal((await all(B, 'cells')).length, 2)
  assert.ok((await all(A, 'categories')).length > 100)

  // offline on phone A: a report in its first cell, and a patrol
  const cell = await find(A, 'cells', cells[0])
  const ring = JSON.parse(cell._raw.boundary).coordinates[0]
  const [lng, lat] = [ring.slice(0, -1).reduce((s, p) => s + p[0], 0) / (ring.length - 1), ring.slice(0, -1).reduce((s, p) => s + p[1], 0) / (ring.length - 1)]
  let report
  let patrol
  await A.write(async () => {
    report = await A.get('cases').create((r) => {
      Object.assign(r._raw, { category_code: 'SJ0102', title: '楼下垃圾堆放', description: '', lng, lat, crs: 'wgs84', priority: 'normal', reported_at: Date.now() - 3600000 })
    })
    patrol = await A.get('patrols').create((p) => {
      Object.assign(p._raw, { cell_id: cells[0], started_at: Date.now() - 3600000, ended_at: Date.now(), distance_m: 850, track: '_p~iF~ps|U', note: '正常' })
    })
  })
  await sync(A, li)
  const onServer = await api('GET', `/api/v1/cases/${report.id}`, office)
  assert.equal(onServer.status, 200, 'the report keeps the phone id on the server')
  assert.equal(onServer.body.cell_id, cells[0])

  // the other phone pulls it
  await sync(B, zhou)
  const pulled = await find(B, 'cases', report.id)
  assert.equal(pulled._raw.title, '楼下垃圾堆放')
  assert.equal(pulled._raw.status, 'reported')
  assert.equal(typeof pulled._raw.deadline_at, 'number')

  // the office files it between phone A's pull and push: 409, then the merge
  await A.write(async () => { await (await find(A, 'cases', report.id)).update((r) => { r._setRaw('title', '楼下垃圾堆放（补充）') }) })
  await assert.rejects(sync(A, li, {
    beforePush: async () => {
      const v = (await api('GET', `/api/v1/cases/${report.id}`, office)).body.version
      assert.equal((await api('POST', `/api/v1/cases/${report.id}/transitions`, office, { action: 'file', expected_version: v })).status, 200)
    },
  }), /push: 409/)
  await sync(A, li)
  const merged = await find(A, 'cases', report.id)
  assert.equal(merged._raw.status, 'filed', 'the server\'s change came in')
  await sync(A, li)
  assert.equal((await find(A, 'cases', report.id))._raw.title, '楼下垃圾堆放', 'a filed case keeps the office\'s words')
  // … and the worker's words are on its timeline, on the phone too
  const supplement = (await api('GET', `/api/v1/cases/${report.id}/events`, office)).body.items.filter((e) => e.action === 'supplement')
  assert.equal(supplement.length, 1, 'one supplementary note')
  assert.match(supplement[0].note, /补充说明.*楼下垃圾堆放（补充）/)
  assert.equal(supplement[0].actor_name, me.user.display_name)
  const onPhone = (await all(A, 'case_events')).filter((e) => e._raw.action === 'supplement')
  assert.equal(onPhone.length, 1, 'the note came back to the phone')

  // a photo taken offline: its record syncs, the bytes follow; the office sees it on the case
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082', 'hex')
  const sha = crypto.createHash('sha256').update(png).digest('hex')
  await A.write(async () => {
    await A.get('attachments').create((a) => { Object.assign(a._raw, { case_id: report.id, sha256: sha, mime: 'image/png', size: png.length }) })
  })
  await sync(A, li)
  const put = await fetch(`${base}/api/v1/attachments/${sha}`, { method: 'PUT', headers: { authorization: `Bearer ${li}`, 'content-type': 'image/png' }, body: png })
  assert.equal(put.status, 201)
  const withPhoto = (await api('GET', `/api/v1/cases/${report.id}`, office)).body
  assert.equal(withPhoto.photos.length, 1, JSON.stringify(withPhoto.photos))
  assert.equal(withPhoto.photos[0].uploaded, true)
  const bytes = await fetch(base + withPhoto.photos[0].url, { headers: { authorization: `Bearer ${office}` } })
  assert.equal(bytes.status, 200)
  assert.deepEqual(Buffer.from(await bytes.arrayBuffer()), png)
  await sync(A, li)
  const photo = (await all(A, 'attachments')).find((a) => a._raw.sha256 === sha)
  assert.equal(photo._raw.uploaded, true, 'the phone learns its photo arrived')

  // a push whose answer is lost is retried: nothing twice (a note made nine minutes ago)
  const noted = Date.now() - 9 * 60000
  await A.write(async () => {
    await A.get('case_events').create((e) => {
      Object.assign(e._raw, { case_id: report.id, action: 'note', note: '再次巡查，仍有垃圾', lng, lat, created_at: noted })
    })
  })
  await assert.rejects(sync(A, li, { afterPush: async () => { throw new Error('the answer was lost') } }), /lost/)
  await sync(A, li)
  const timeline = (await api('GET', `/api/v1/cases/${report.id}/events`, office)).body.items
  const notes = timeline.filter((e) => e.action === 'note')
  assert.equal(notes.length, 1, 'the note once')
  assert.equal(Date.parse(notes[0].occurred_at), noted, 'the event keeps the phone\'s time')
  assert.ok(Date.parse(notes[0].recorded_at) > noted, 'apart from when it arrived')
  assert.equal((await api('GET', '/api/v1/cases?limit=500', office)).body.items.filter((c) => c.id === report.id).length, 1)

  // a delete: the patrol goes from the worker's other phone too
  const A2 = phone(schemaOf(1))
  await sync(A2, li)
  assert.ok(await find(A2, 'patrols', patrol.id))
  await A.write(async () => { await (await find(A, 'patrols', patrol.id)).markAsDeleted() })
  await sync(A, li)
  await sync(A2, li)
  assert.equal(await find(A2, 'patrols', patrol.id), undefined)

  // a reassignment: phone B loses the first cell, and its cases
  const cellOfB = zhouAssignments[0]
  assert.equal((await api('POST', `/api/v1/assignments/${cellOfB}/end`, office, { reason: '调整网格' })).status, 200)
  await sync(B, zhou)
  assert.equal(await find(B, 'cells', cells[0]), undefined)
  assert.equal(await find(B, 'cases', report.id), undefined)
  assert.equal((await all(B, 'cells')).length, 1)

  // gridhub's schema migration from version 1 to 2: the cases gain their clock, and the tasks
  // of the worker's grids come with the progress reported on them
  const disk = new LokiMemoryAdapter()
  const old = phone(schemaOf(1), undefined, disk, 'upgraded-phone')
  await sync(old, li)
  assert.equal((await all(old, 'cases'))[0]._raw.clock, undefined)
  await new Promise((r) => setTimeout(r, 1200)) // Loki saves every 500 ms
  const upgraded = phone(schemaOf(2), migrationsTo2(), disk, 'upgraded-phone')
  let sent
  await sync(upgraded, li, { migrationsEnabledAtVersion: 1, onPull: (p) => { sent = p } })
  assert.ok(sent.lastPulledAt > 0, 'an incremental pull')
  assert.deepEqual(sent.migration, { from: 1, tables: ['tasks', 'task_progress'], columns: [{ table: 'cases', columns: ['clock'] }] })
  assert.equal(sent.answer.changes.cases.created.length, 0, 'the phone has the cases: updates, not creations')
  const clocks = (await all(upgraded, 'cases')).map((c) => c._raw.clock)
  assert.ok(clocks.length > 0 && clocks.every((c) => c === 'working' || c === 'natural'), `the cases came whole: ${clocks}`)
  const tasks = await all(upgraded, 'tasks')
  assert.ok(tasks.length >= 2, 'the tasks of the worker\'s grids')
  assert.ok(tasks.every((t) => t._raw.owner_type === 'cell' && cells.includes(t._raw.owner_id)))
  assert.ok((await all(upgraded, 'task_progress')).length >= 2, 'with the progress reported on them')

  // offline, the worker reports progress on an open task with a photo; it reaches the office once
  const open = tasks.find((t) => ['accepted', 'in_progress', 'returned'].includes(t._raw.status))
  assert.ok(open, `an open task: ${tasks.map((t) => t._raw.status)}`)
  const before = (await api('GET', `/api/v1/tasks/${open.id}`, office)).body
  const taskPhoto = crypto.createHash('sha256').update('补拍3号楼照片').digest('hex')
  let progress
  await upgraded.write(async () => {
    progress = await upgraded.get('task_progress').create((r) => {
      r._raw.task_id = open.id
      r._raw.quantity = 18
      r._raw.note = '已补充3号楼入户18户'
      r._raw.photos = JSON.stringify([taskPhoto])
    })
  })
  await assert.rejects(sync(upgraded, li, { afterPush: async () => { throw new Error('the answer was lost') } }), /lost/)
  await sync(upgraded, li)
  const after = (await api('GET', `/api/v1/tasks/${open.id}`, office)).body
  assert.equal(after.quantity_done, before.quantity_done + 18, 'counted once')
  const reported = after.events.filter((e) => e.id === progress.id)
  assert.equal(reported.length, 1)
  assert.deepEqual(reported[0].attachments, [taskPhoto])
  assert.equal(Date.parse(reported[0].made_at), progress._raw.created_at, 'it keeps the phone\'s time')
  assert.equal((await find(upgraded, 'tasks', open.id))._raw.quantity_done, after.quantity_done, 'the phone has the new total')
}
