/* The search page: query box, results, filters, keyboard navigation.
 *
 * Data files are <script>s that call archiveSearchLoaded(key, data), so the
 * page works over HTTP and from file:// alike. Everything shown comes from
 * the data as text nodes (never innerHTML), so a title holding <script> is
 * displayed, not run.
 */
(function () {
  'use strict'
  var core = window.ArchiveSearchCore
  var received = Object.create(null)
  var waiting = Object.create(null)

  window.archiveSearchLoaded = function (key, data) {
    received[key] = data
    if (waiting[key]) { waiting[key].forEach(function (fn) { fn(data) }); delete waiting[key] }
  }

  var form = document.getElementById('search-form')
  if (!form) return
  var indexBase = new URL(form.getAttribute('data-index'), document.baseURI).href
  var siteRoot = new URL(form.getAttribute('data-root') || './', document.baseURI).href
  var fromDisk = location.protocol === 'file:'
  var input = document.getElementById('search-input')
  var status = document.getElementById('search-status')
  var list = document.getElementById('search-results')
  var more = document.getElementById('search-more')
  var filterBox = document.getElementById('search-filters')
  var selects = {
    a: document.getElementById('filter-author'),
    t: document.getElementById('filter-tag'),
    p: document.getElementById('filter-publication'),
    y: document.getElementById('filter-year')
  }
  var facetNames = { a: 'authors', t: 'tags', p: 'publications', y: 'years' }

  function load (file) {
    var key = file.split('.')[0]
    if (received[key]) return Promise.resolve(received[key])
    return new Promise(function (resolve, reject) {
      (waiting[key] = waiting[key] || []).push(resolve)
      if (waiting[key].length > 1) return
      var tag = document.createElement('script')
      tag.src = new URL(file, indexBase).href
      tag.async = true
      tag.onerror = function () { delete waiting[key]; reject(new Error('cannot load ' + file)) }
      document.head.appendChild(tag)
    })
  }

  var manifestFile = form.getAttribute('data-manifest')
  var engine = null
  var ready = load(manifestFile.split('/').pop()).then(function (manifest) {
    engine = new core.Engine(window.lunr, manifest, load)
    return engine
  })

  var state = { query: '', results: [], filtered: [], shown: 0, matched: null, sequence: 0, facets: null }

  function setStatus (message) { status.textContent = message }

  function pageUrl (url) {
    var href = new URL(url, siteRoot).href
    return fromDisk ? href + 'index.html' : href
  }

  function highlighted (text, matched) {
    // The snippet as text nodes, with words whose index terms the query matched in <mark>.
    var fragment = document.createDocumentFragment()
    var parts = text.split(/([\p{L}\p{N}'’.]+)/u)
    parts.forEach(function (part, i) {
      if (i % 2 === 1 && engine.termsOfWord(part).some(function (t) { return matched[t] })) {
        var mark = document.createElement('mark')
        mark.textContent = part
        fragment.appendChild(mark)
      } else if (part) fragment.appendChild(document.createTextNode(part))
    })
    return fragment
  }

  function renderDoc (doc, matched) {
    var item = document.createElement('li')
    item.className = 'search-result'
    var link = document.createElement('a')
    link.href = pageUrl(doc.url)
    link.className = 'search-result-title'
    link.textContent = doc.title
    var heading = document.createElement('h2')
    heading.appendChild(link)
    item.appendChild(heading)
    var meta = document.createElement('p')
    meta.className = 'search-result-meta'
    var bits = []
    if (doc.date) {
      var time = document.createElement('time')
      time.setAttribute('datetime', doc.date)
      time.textContent = doc.date
      bits.push(time)
    }
    if (doc.authors.length) bits.push(document.createTextNode(doc.authors.join(', ')))
    if (doc.publication) {
      var pub = document.createElement('cite')
      pub.textContent = doc.publication
      bits.push(pub)
    }
    bits.forEach(function (node, i) {
      if (i) meta.appendChild(document.createTextNode(' · '))
      meta.appendChild(node)
    })
    item.appendChild(meta)
    if (doc.snippet) {
      var snippet = document.createElement('p')
      snippet.className = 'search-result-snippet'
      snippet.appendChild(highlighted(doc.snippet, matched))
      item.appendChild(snippet)
    }
    return item
  }

  function showMore (sequence, fresh) {
    // Load the next page's stored fields, then show them (replacing the list when fresh).
    var start = fresh ? 0 : state.shown
    var page = state.filtered.slice(start, start + engine.manifest.pageSize)
    return engine.documents(page.map(function (r) { return r.ref })).then(function (docs) {
      if (sequence !== state.sequence) return
      if (fresh) list.textContent = ''
      docs.forEach(function (doc) { list.appendChild(renderDoc(doc, state.matched)) })
      state.shown = start + page.length
      more.hidden = state.shown >= state.filtered.length
    })
  }

  function passes (ref) {
    var f = state.facets
    if (!f) return true
    var n = +ref
    return Object.keys(selects).every(function (k) {
      var value = selects[k].value
      if (value === '') return true
      var have = f[k][n]
      return Array.isArray(have) ? have.indexOf(+value) !== -1 : have === +value
    })
  }

  function applyFilters (sequence) {
    state.filtered = state.results.filter(function (r) { return passes(r.ref) })
    return showMore(sequence, true).then(function () {
      if (sequence !== state.sequence) return
      var count = state.filtered.length
      setStatus(count === 0 ? 'No results for “' + state.query + '”.'
        : count + (count === 1 ? ' result' : ' results') + ' for “' + state.query + '”.')
    })
  }

  function fillFilters () {
    // Options with counts over the current results; the current choice is kept.
    var f = state.facets
    Object.keys(selects).forEach(function (k) {
      var select = selects[k]
      var keep = select.value
      var counts = {}
      state.results.forEach(function (r) {
        var have = f[k][+r.ref]
        ;(Array.isArray(have) ? have : [have]).forEach(function (v) { if (v >= 0) counts[v] = (counts[v] || 0) + 1 })
      })
      while (select.options.length > 1) select.remove(1)
      f[facetNames[k]].forEach(function (name, i) {
        if (!counts[i] && String(i) !== keep) return
        var option = document.createElement('option')
        option.value = String(i)
        option.textContent = name + ' (' + (counts[i] || 0) + ')'
        select.appendChild(option)
      })
      select.value = keep
    })
    filterBox.hidden = !state.results.length
  }

  function plain (query) {
    // A query lunr cannot parse ("foo:" or a lone "~") is searched as plain words.
    return query.replace(/[:~^*+]/g, ' ').replace(/(^|\s)-+/g, '$1')
  }

  function run (query) {
    var sequence = ++state.sequence
    state.query = query
    updateUrl(query)
    if (!query.trim()) {
      state.results = []
      list.textContent = ''
      more.hidden = true
      filterBox.hidden = true
      setStatus('')
      return Promise.resolve()
    }
    setStatus('Searching…')
    return ready.then(function () {
      return engine.search(query).catch(function (error) {
        if (error && error.name === 'QueryParseError') return engine.search(plain(query))
        throw error
      })
    }).then(function (results) {
      if (sequence !== state.sequence) return
      state.results = results
      state.matched = Object.create(null)
      results.forEach(function (r) {
        Object.keys(r.matchData.metadata).forEach(function (t) { state.matched[t] = true })
      })
      return applyFilters(sequence).then(function () {
        if (sequence !== state.sequence) return
        return engine.facets().then(function (f) {
          if (sequence !== state.sequence) return
          state.facets = f
          fillFilters()
        })
      })
    }).catch(function (error) {
      if (sequence === state.sequence) setStatus('Search failed: ' + error.message)
    })
  }

  function updateUrl (query) {
    try {
      var url = new URL(location.href)
      if (query) url.searchParams.set('q', query)
      else url.searchParams.delete('q')
      history.replaceState(null, '', url.href)
    } catch (error) { /* file:// in some browsers refuses; the search still works */ }
  }

  var timer = null
  input.addEventListener('input', function () {
    clearTimeout(timer)
    timer = setTimeout(function () { run(input.value) }, 150)
  })
  form.addEventListener('submit', function (event) {
    event.preventDefault()
    clearTimeout(timer)
    run(input.value)
  })
  more.addEventListener('click', function () { showMore(state.sequence) })
  Object.keys(selects).forEach(function (k) {
    selects[k].addEventListener('change', function () { state.sequence++; applyFilters(state.sequence) })
  })

  // Keyboard: arrows move between the box and the results, Escape returns to the box.
  function links () { return Array.prototype.slice.call(list.querySelectorAll('a.search-result-title')) }
  document.addEventListener('keydown', function (event) {
    var all = links()
    var at = all.indexOf(document.activeElement)
    if (event.key === 'ArrowDown' && (document.activeElement === input || at !== -1)) {
      if (at + 1 < all.length) { all[at + 1].focus(); event.preventDefault() }
    } else if (event.key === 'ArrowUp' && at !== -1) {
      (at === 0 ? input : all[at - 1]).focus()
      event.preventDefault()
    } else if (event.key === 'Escape' && at !== -1) {
      input.focus()
    } else if (event.key === '/' && document.activeElement !== input &&
               !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
      input.focus()
      event.preventDefault()
    }
  })

  var initial = new URLSearchParams(location.search).get('q')
  if (initial) { input.value = initial; run(initial) }
}())
