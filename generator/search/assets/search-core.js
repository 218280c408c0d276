/* Archive search core: the query-side text pipeline and a lunr.Index assembled
 * from index shards. No DOM here, so node runs it in tests.
 *
 * The pipeline mirrors generator/search/text.py (same lunr labels):
 *   archive-fold   accents folded (NFD, combining marks dropped)
 *   archive-words  split into letter/digit runs (inner ' and . kept, a
 *                  possessive 's dropped), CJK runs as overlapping bigrams
 *   archive-stem-<langs>  per archive language: stop words dropped, stemmed.
 *
 * Engine answers a query exactly as the monolithic lunr index would: lunr's
 * score for a document only involves the query terms' postings and those
 * terms' entries in the document's field vectors, so loading the shards that
 * hold the query's terms (after wildcard/fuzzy expansion against the full
 * term list) and inserting their entries into the field vectors gives the
 * same numbers, summed in the same order.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory()
  else root.ArchiveSearchCore = factory()
}(typeof self !== 'undefined' ? self : this, function () {
  'use strict'

  var CJK = '\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff'
  var CJK_CHAR = new RegExp('[' + CJK + ']', 'u')
  var WORD = '(?:(?![' + CJK + '])[\\p{L}\\p{N}])+'
  var PIECES = new RegExp('[' + CJK + ']+|' + WORD + "(?:['.]" + WORD + ')*', 'gu')

  function fold (s) {
    // eslint-disable-next-line no-control-regex
    if (/^[\x00-\x7f]*$/.test(s)) return s
    return s.normalize('NFD').replace(/\p{Mn}/gu, '').normalize('NFC')
  }

  function words (s) {
    var pieces = []
    var runs = s.replace(/\u2019/g, "'").match(PIECES) || []
    for (var i = 0; i < runs.length; i++) {
      var run = runs[i]
      if (CJK_CHAR.test(run.charAt(0))) {
        var chars = Array.from(run)
        if (chars.length > 1) {
          for (var j = 0; j + 1 < chars.length; j++) pieces.push(chars[j] + chars[j + 1])
        } else pieces.push(run)
      } else {
        pieces.push(run.length >= 2 && run.slice(-2) === "'s" ? run.slice(0, -2) : run)
      }
    }
    return pieces
  }

  /* Register the pipeline functions named in the manifest with this lunr. */
  function registerPipeline (lunr, manifest) {
    var languages = manifest.languages
    var stops = {}
    var stemmers = {}
    languages.forEach(function (code) {
      var set = Object.create(null)
      manifest.stopWords[code].forEach(function (w) { set[w] = true })
      stops[code] = set
      var lib = code === 'en' ? lunr : lunr[manifest.lunrLanguages[code]]
      if (!lib || !lib.stemmer) throw new Error('lunr-languages file for "' + code + '" is not loaded')
      stemmers[code] = lib.stemmer
    })

    function foldStep (token) { return token.update(fold) }
    function wordsStep (token) {
      return words(token.toString()).map(function (w) { return token.clone(function () { return w }) })
    }
    function stemStep (token) {
      var out = []
      var seen = Object.create(null)
      var s = token.toString()
      languages.forEach(function (code) {
        if (stops[code][s]) return
        var stem = stemmers[code](token.clone()).toString()
        if (!seen[stem]) { seen[stem] = true; out.push(token.clone(function () { return stem })) }
      })
      return out
    }
    lunr.Pipeline.registerFunction(foldStep, 'archive-fold')
    lunr.Pipeline.registerFunction(wordsStep, 'archive-words')
    lunr.Pipeline.registerFunction(stemStep, manifest.pipeline[manifest.pipeline.length - 1])
    return lunr.Pipeline.load(manifest.pipeline)
  }

  /* Binary search: the shard whose first term is <= term. */
  function shardFor (firsts, term) {
    var lo = 0
    var hi = firsts.length - 1
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1
      if (firsts[mid] <= term) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /* load(name) -> Promise of the data registered by the file `name`. */
  function Engine (lunr, manifest, load) {
    this.lunr = lunr
    this.manifest = manifest
    this.load = load
    this.pipeline = registerPipeline(lunr, manifest)
    this.invertedIndex = Object.create(null)
    this.fieldVectors = {}
    // Every field ref, in lunr's order, so negated queries list every document.
    for (var d = 0; d < manifest.docCount; d++) {
      for (var f = 0; f < manifest.fields.length; f++) {
        this.fieldVectors[manifest.fields[f] + '/' + d] = new lunr.Vector()
      }
    }
    this.loadedShards = Object.create(null)
    this.termCount = 0
    this.index = null
    this.allTerms = null
  }

  /* The file name of a data file, from its key and a hash: each index shard has its
     own (SHARD_HASH characters each, concatenated in shards.hashes), the document
     store and facets share one, the rest use the build's. So an edit renames only
     the files whose bytes change. */
  var SHARD_HASH = 8
  Engine.prototype.file = function (key) {
    var hashes = this.manifest.shards.hashes
    if (hashes && /^s[0-9]+$/.test(key)) {
      var n = +key.slice(1)
      return key + '.' + hashes.slice(n * SHARD_HASH, (n + 1) * SHARD_HASH) + '.js'
    }
    var docs = /^(d[0-9]+|facets)$/.test(key) && this.manifest.docsHash
    return key + '.' + (docs || this.manifest.hash) + '.js'
  }

  Engine.prototype.parse = function (queryString) {
    var query = new this.lunr.Query(this.manifest.fields)
    new this.lunr.QueryParser(queryString, query).parse()
    return query
  }

  /* The index terms a query can touch, expanding wildcards and fuzzy terms. */
  Engine.prototype.termsFor = function (query) {
    var self = this
    var exact = []
    var expand = []
    query.clauses.forEach(function (clause) {
      var terms = clause.usePipeline
        ? self.pipeline.runString(clause.term, { fields: clause.fields })
        : [clause.term]
      terms.forEach(function (term) {
        if (term.indexOf('*') !== -1 || 'editDistance' in clause) {
          var copy = Object.assign({}, clause, { term: term })
          expand.push(copy)
        } else exact.push(term)
      })
    })
    if (!expand.length) return Promise.resolve(exact)
    return this.termSet().then(function (tokenSet) {
      expand.forEach(function (clause) {
        var found = tokenSet.intersect(self.lunr.TokenSet.fromClause(clause)).toArray()
        Array.prototype.push.apply(exact, found)
      })
      return exact
    })
  }

  Engine.prototype.termSet = function () {
    var self = this
    if (!this.allTerms) {
      this.allTerms = this.load(this.file('terms')).then(function (data) {
        return self.lunr.TokenSet.fromArray(data.terms)
      })
    }
    return this.allTerms
  }

  Engine.prototype.ensureShards = function (terms) {
    var self = this
    var firsts = this.manifest.shards.first
    var wanted = Object.create(null)
    terms.forEach(function (term) {
      var n = shardFor(firsts, term)
      if (!self.loadedShards[n]) wanted[n] = true
    })
    var numbers = Object.keys(wanted)
    return Promise.all(numbers.map(function (n) {
      return self.load(self.file('s' + n)).then(function (data) {
        if (!self.loadedShards[n]) { self.addShard(data); self.loadedShards[n] = true }
      })
    }))
  }

  Engine.prototype.addShard = function (data) {
    var fields = this.manifest.fields
    for (var t = 0; t < data.t.length; t++) {
      var term = data.t[t]
      var entry = data.p[t]
      var termIndex = entry[0]
      var posting = {}
      for (var f = 0; f < fields.length; f++) {
        var docs = {}
        var flat = entry[f + 1]
        var doc = 0
        for (var k = 0; k < flat.length; k += 2) {
          doc += flat[k]
          docs[doc] = {}
          this.fieldVectors[fields[f] + '/' + doc].insert(termIndex, flat[k + 1] / 1000)
        }
        posting[fields[f]] = docs
      }
      posting._index = termIndex
      this.invertedIndex[term] = posting
      this.termCount++
    }
    this.index = null
  }

  Engine.prototype.assembled = function () {
    if (!this.index) {
      var terms = Object.keys(this.invertedIndex).sort()
      this.index = new this.lunr.Index({
        invertedIndex: this.invertedIndex,
        fieldVectors: this.fieldVectors,
        tokenSet: this.lunr.TokenSet.fromArray(terms),
        fields: this.manifest.fields,
        pipeline: this.pipeline
      })
    }
    return this.index
  }

  /* Promise of lunr results (ref, score, matchData), as lunr.Index#search gives them. */
  Engine.prototype.search = function (queryString) {
    var self = this
    var query
    try { query = this.parse(queryString) } catch (error) { return Promise.reject(error) }
    return this.termsFor(query).then(function (terms) {
      return self.ensureShards(terms)
    }).then(function () {
      return self.assembled().search(queryString)
    })
  }

  /* Promise of stored documents for refs, loading only their chunks. */
  Engine.prototype.documents = function (refs) {
    var self = this
    var size = this.manifest.docs.size
    var chunks = Object.create(null)
    refs.forEach(function (ref) { chunks[Math.floor(+ref / size)] = true })
    return Promise.all(Object.keys(chunks).map(function (c) {
      return self.load(self.file('d' + c)).then(function (data) { return [+c, data] })
    })).then(function (loaded) {
      var byChunk = {}
      loaded.forEach(function (pair) { byChunk[pair[0]] = pair[1].d })
      return refs.map(function (ref) {
        var n = +ref
        var row = byChunk[Math.floor(n / size)][n % size]
        return {
          ref: ref, title: row[0], url: row[1], date: row[2], authors: row[3],
          publication: row[4], snippet: row[5], tags: row[6], language: row[7]
        }
      })
    })
  }

  Engine.prototype.facets = function () {
    if (!this.facetData) this.facetData = this.load(this.file('facets'))
    return this.facetData
  }

  /* The terms a word of displayed text is indexed under (for highlighting). */
  Engine.prototype.termsOfWord = function (word) {
    return this.pipeline.runString(word.toLowerCase())
  }

  return { fold: fold, words: words, registerPipeline: registerPipeline, shardFor: shardFor, Engine: Engine }
}))
