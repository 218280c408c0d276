// Node harness for tests/unit/test_search_*.py (not a test file itself).
//
//   node test_search_node.js <mkdocs search dir> <core.js> tokens <strings.json>
//     -> per string, per language: the index terms lunr.js-side analysis gives,
//        and the query terms (all languages)
//   node test_search_node.js <mkdocs search dir> <core.js> compare <index dir> <monolithic.json> <queries.json>
//     -> per query: [ref, score] lists from the monolithic lunr index and from
//        the sharded engine, and the data files the engine loaded for it
//   node test_search_node.js <mkdocs search dir> <core.js> milli <values.json>
//     -> per value, the engine's round(value, 3) * 1000
'use strict'
const fs = require('fs')
const path = require('path')
const vm = require('vm')

const [searchDir, corePath, mode, ...rest] = process.argv.slice(2)
global.lunr = require(path.join(searchDir, 'templates/search/lunr.js'))
require(path.join(searchDir, 'lunr-language/lunr.stemmer.support.js'))(lunr)
require(path.join(searchDir, 'lunr-language/lunr.es.js'))(lunr)
const core = require(corePath)

function readData (file) {
  let data
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), { archiveSearchLoaded: (key, value) => { data = value } })
  return data
}

async function main () {
  if (mode === 'tokens') {
    const strings = JSON.parse(fs.readFileSync(rest[0], 'utf8'))
    const manifest = JSON.parse(fs.readFileSync(rest[1], 'utf8'))
    const pipeline = core.registerPipeline(lunr, manifest)
    const out = strings.map((s) => {
      const pieces = []
      lunr.tokenizer(s).forEach((token) => {
        core.words(core.fold(token.toString())).forEach((w) => pieces.push(w))
      })
      const byLanguage = {}
      manifest.languages.forEach((code) => {
        const stops = new Set(manifest.stopWords[code])
        const stem = code === 'en' ? lunr.stemmer : lunr[code].stemmer
        byLanguage[code] = pieces.filter((p) => !stops.has(p)).map((p) => stem(new lunr.Token(p)).toString())
      })
      const query = []
      lunr.tokenizer(s).forEach((token) => {
        pipeline.runString(token.toString()).forEach((t) => query.push(t))
      })
      return { pieces, byLanguage, query }
    })
    process.stdout.write(JSON.stringify(out))
    return
  }
  if (mode === 'milli') {
    const values = JSON.parse(fs.readFileSync(rest[0], 'utf8'))
    process.stdout.write(JSON.stringify(values.map(core.milli)))
    return
  }
  const [indexDir, monolithicPath, queriesPath] = rest
  const monolithic = JSON.parse(fs.readFileSync(monolithicPath, 'utf8'))
  const queries = JSON.parse(fs.readFileSync(queriesPath, 'utf8'))
  const manifestFile = fs.readdirSync(indexDir).find((f) => f.startsWith('manifest.'))
  const manifest = readData(path.join(indexDir, manifestFile))
  let loaded = []
  const load = (file) => { loaded.push(file); return Promise.resolve(readData(path.join(indexDir, file))) }
  const engine = new core.Engine(lunr, manifest, load)
  const full = lunr.Index.load(monolithic)
  const out = {}
  for (const q of queries) {
    const result = { files: [] }
    try {
      result.mono = full.search(q).map((r) => [r.ref, r.score, Object.keys(r.matchData.metadata).sort()])
    } catch (error) { result.mono = 'error: ' + error.name }
    loaded = []
    try {
      const results = await engine.search(q)
      result.sharded = results.map((r) => [r.ref, r.score, Object.keys(r.matchData.metadata).sort()])
    } catch (error) { result.sharded = 'error: ' + error.name }
    result.files = loaded
    out[q] = result
  }
  process.stdout.write(JSON.stringify(out))
}

main().catch((error) => { console.error(error); process.exit(1) })
