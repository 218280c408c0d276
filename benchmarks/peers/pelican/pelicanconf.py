# Pelican side of the build benchmark: the same pages our archive builds
# (entries; tags, authors and publications -- publications are Pelican's
# categories; year and month archives; home; pagination of 20; Atom feeds of
# 50 entries), rendered by the minimal theme next to this file.
AUTHOR = "Benchmark"
SITENAME = "Synthetic Archive"
SITEURL = "https://archive.example.org"
PATH = "content"
THEME = "theme"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%B %d, %Y"
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = False  # the benchmark starts every cold build from an empty directory
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
STATIC_PATHS = []
PAGE_PATHS = []
ARTICLE_PATHS = [""]

ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
TAGS_SAVE_AS = "tags/index.html"
AUTHOR_URL = "authors/{slug}/"
AUTHOR_SAVE_AS = "authors/{slug}/index.html"
AUTHORS_SAVE_AS = "authors/index.html"
CATEGORY_URL = "publications/{slug}/"
CATEGORY_SAVE_AS = "publications/{slug}/index.html"
CATEGORIES_SAVE_AS = "publications/index.html"
ARCHIVES_SAVE_AS = "archive/index.html"
YEAR_ARCHIVE_URL = "{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "{date:%Y}/index.html"
MONTH_ARCHIVE_URL = "{date:%Y}/{date:%m}/"
MONTH_ARCHIVE_SAVE_AS = "{date:%Y}/{date:%m}/index.html"

DEFAULT_PAGINATION = 20
PAGINATED_TEMPLATES = {"index": None, "tag": None, "category": None, "author": None, "period_archives": None}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

FEED_DOMAIN = SITEURL
FEED_MAX_ITEMS = 50
FEED_ALL_ATOM = "feed.xml"
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = "publications/{slug}/feed.xml"
CATEGORY_FEED_RSS = None
TAG_FEED_ATOM = "tags/{slug}/feed.xml"
TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = "authors/{slug}/feed.xml"
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None
