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
 *
 * The shards hold each posting's term frequency, not its score: the engine
 * scores it here as lunr's Builder does (BM25 with the field's boost, the
 * document's field length from the "l<n>" files and the average field length
 * from the manifest), rounded as lunr.py rounds. So an edit that changes one
 * document's length, and with it every score, changes one length file and the
 * manifest instead of every shard.
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

  // lunr.Builder's BM25 constants (generator/search/fields.py).
  var K1 = 1.2
  var B = 0.75

  /* round(score, 3) * 1000 as Python rounds it (lunr.py, which the index equals): the integer
     nearest to score * 1000, except near a half, where the exact decimal value decides and an
     exact half goes to the even neighbour. */
  function milli (score) {
    var scaled = score * 1000
    var nearest = Math.round(scaled)
    if (Math.abs(Math.abs(scaled - nearest) - 0.5) > 1e-6) return nearest
    var sixteenths = score * 16 // exact; a score is an exact half of a thousandth only as an odd sixteenth
    if (Number.isInteger(sixteenths) && sixteenths % 2 === 1) {
      var low = Math.floor(scaled)
      return low % 2 === 0 ? low : low + 1
    }
    return Math.round(Number(score.toFixed(3)) * 1000) // toFixed rounds the exact value
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
    this.lengthChunks = Object.create(null) // chunk number -> Promise of its field lengths
    var totals = manifest.lengths.totals
    this.averages = totals.map(function (total) {
      var average = manifest.docCount ? total / manifest.docCount : 0
      return average || 1 // (a field no document has: no postings to score)
    })
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
    var lengthHashes = this.manifest.lengths.hashes
    if (/^l[0-9]+$/.test(key)) {
      var c = +key.slice(1)
      return key + '.' + lengthHashes.slice(c * SHARD_HASH, (c + 1) * SHARD_HASH) + '.js'
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
        return self.ensureLengths(data).then(function (lengths) {
          if (!self.loadedShards[n]) { self.addShard(data, lengths); self.loadedShards[n] = true }
        })
      })
    }))
  }

  /* Promise of {chunk number: field lengths} for every document a shard's postings name. */
  Engine.prototype.ensureLengths = function (data) {
    var self = this
    var size = this.manifest.lengths.size
    var fieldCount = this.manifest.fields.length
    var wanted = Object.create(null)
    data.p.forEach(function (entry) {
      for (var f = 1; f <= fieldCount; f++) {
        var flat = entry[f]
        for (var k = 0, doc = 0; k < flat.length; k += 2) {
          doc += flat[k]
          wanted[Math.floor(doc / size)] = true
        }
      }
    })
    var chunks = Object.keys(wanted)
    return Promise.all(chunks.map(function (c) {
      if (!self.lengthChunks[c]) self.lengthChunks[c] = self.load(self.file('l' + c))
      return self.lengthChunks[c]
    })).then(function (loaded) {
      var byChunk = {}
      chunks.forEach(function (c, i) { byChunk[c] = loaded[i] })
      return byChunk
    })
  }

  /* A shard's terms into the inverted index and field vectors; `lengths` has the field
     lengths of every document its postings name. The score is lunr.Builder's, with the same
     operations in the same order (generator/search/index.py does them in numpy). */
  Engine.prototype.addShard = function (data, lengths) {
    var fields = this.manifest.fields
    var boosts = this.manifest.boosts
    var size = this.manifest.lengths.size
    var fieldCount = fields.length
    for (var t = 0; t < data.t.length; t++) {
      var term = data.t[t]
      var entry = data.p[t]
      var termIndex = entry[0]
      var posting = {}
      for (var f = 0; f < fieldCount; f++) {
        var docs = {}
        var flat = entry[f + 1]
        for (var k = 0, doc = 0; k < flat.length; k += 2) {
          doc += flat[k]
          docs[doc] = {}
        }
        posting[fields[f]] = docs
      }
      posting._index = termIndex
      var idf = this.lunr.idf(posting, this.manifest.docCount)
      for (f = 0; f < fieldCount; f++) {
        flat = entry[f + 1]
        for (k = 0, doc = 0; k < flat.length; k += 2) {
          doc += flat[k]
          var tf = flat[k + 1]
          var length = lengths[Math.floor(doc / size)][(doc % size) * fieldCount + f]
          var norm = K1 * ((1 - B) + B * (length / this.averages[f]))
          var score = idf * ((K1 + 1) * tf)
          score = score / (tf + norm)
          score = score * boosts[f]
          this.fieldVectors[fields[f] + '/' + doc].insert(termIndex, milli(score) / 1000)
        }
      }
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

  return { fold: fold, words: words, registerPipeline: registerPipeline, shardFor: shardFor, milli: milli, Engine: Engine }
}))
