# Two commands on a fresh machine: `make demo` and `make test`. Each sets itself up.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test replaywebpage test-slow test-chaos test-scale test-server-cpu test-datasette1 wacz-venv test-wacz-auth pywb-venv test-pywb bench bench-browser install browser java clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,bench,s3,spark,scale-test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/archive demo --dir demo

# Chromium for the browser tests (Debian's package; the tests skip without it).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium not installed: browser tests will skip (install with: apt-get install chromium)"

# Java 17 for Spark in local mode (Debian's package; the Spark tests skip without it).
java:
	@command -v java >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
		|| echo "java not installed: Spark tests will skip (install with: apt-get install openjdk-17-jre-headless)"

# ReplayWeb.page's released bundle (ui.js, sw.js) from the npm registry, for the test that
# replays our WACZ in it (tests/test_replaywebpage.py skips without it). npm checks the
# package's integrity against the registry.
RWP_VERSION ?= 2.5.3
RWP_DIR := .cache/replaywebpage
replaywebpage:
	@test -f $(RWP_DIR)/package/sw.js || ( command -v npm >/dev/null 2>&1 \
		&& mkdir -p $(RWP_DIR) && cd $(RWP_DIR) && npm pack --silent replaywebpage@$(RWP_VERSION) >/dev/null \
		&& tar xzf replaywebpage-$(RWP_VERSION).tgz ) \
		|| echo "ReplayWeb.page not fetched (needs npm): its replay test will skip"

# The tests that start SeaweedFS (S3) and Spark themselves, slow ones included.
test-scale: $(STAMP) java
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "slow or not slow" tests/test_scale_s3.py $(wildcard tests/test_scale_spark.py tests/test_scale_e2e.py)

# The whole suite but the long loops (marked slow), which CI runs as steps of their own.
test: $(STAMP) replaywebpage
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules -m "not slow" archive tests

# The long loops: SIGKILL and fault loops, fuzzing, 1,000 captures, Spark, the CPU budget
# on a page with many versions (the chaos run has its own target).
test-slow: $(STAMP) java
	$(BIN)/python -m pytest -q -p no:cacheprovider -m slow --deselect tests/test_chaos.py tests

# The CPU budget of the plugin's pages on a long page with many versions (minutes).
test-server-cpu: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m slow tests/test_server_cpu.py

# The Datasette tests (and `archive serve --workers`) again on Datasette 1.0 (its latest alpha), in a venv of their own:
# the plugin must work on the stable release and on 1.0 (issue 15).
DS1_VENV ?= .venv-datasette1
DS1_STAMP := $(DS1_VENV)/.installed

$(DS1_STAMP): pyproject.toml
	$(PY) -m venv $(DS1_VENV)
	$(DS1_VENV)/bin/pip install -q --upgrade pip
	$(DS1_VENV)/bin/pip install -q -e '.[test]'
	$(DS1_VENV)/bin/pip install -q --pre --upgrade 'datasette>=1.0a0'
	touch $(DS1_STAMP)

test-datasette1: $(DS1_STAMP)
	$(DS1_VENV)/bin/python -c "import datasette.version as v, sys; print('datasette', v.__version__); sys.exit(not v.__version__.startswith('1.'))"
	$(DS1_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/test_datasette.py tests/test_serve_workers.py

# py-wacz with authsign, the reference verifier of signed WACZ packages, in a venv of its own:
# authsign pins older libraries (cryptography, FastAPI, pydantic) than the project's.
WACZ_VENV ?= .venv-wacz
WACZ_STAMP := $(WACZ_VENV)/.installed

$(WACZ_STAMP):
	$(PY) -m venv $(WACZ_VENV)
	$(WACZ_VENV)/bin/pip install -q --upgrade pip
	$(WACZ_VENV)/bin/pip install -q 'wacz[signing]>=0.5' uvicorn
	touch $(WACZ_STAMP)

wacz-venv: $(WACZ_STAMP)

# Signed WACZ exports checked by `wacz validate --verify-auth` (issue 15).
test-wacz-auth: $(STAMP) $(WACZ_STAMP)
	WACZ_VENV=$(WACZ_VENV) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_wacz_signing.py

# pywb, the reference replay tool, in a venv of its own (it pins older libraries than ours):
# it replays every capture of a demo store from its WARC files (issue 15).
PYWB_VENV ?= .venv-pywb
PYWB_STAMP := $(PYWB_VENV)/.installed

$(PYWB_STAMP):
	$(PY) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/pip install -q --upgrade pip
	$(PYWB_VENV)/bin/pip install -q 'pywb>=2.8'
	touch $(PYWB_STAMP)

pywb-venv: $(PYWB_STAMP)

test-pywb: $(STAMP) $(PYWB_STAMP)
	PYWB_VENV=$(PYWB_VENV) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_pywb_replay.py

# SIGKILL at random points of every write command, 200 times (issue 14): nothing
# acknowledged lost, no process left behind, verify --all passes after.
test-chaos: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m slow tests/test_chaos.py

bench: $(STAMP)
	$(BIN)/python bench/run.py --quick

# capture --browser of 100 script-rendered pages against wget --page-requisites (needs chromium).
bench-browser: $(STAMP) browser
	$(BIN)/python bench/bench_browser.py --pages 100

clean:
	rm -rf $(VENV) $(DS1_VENV) $(WACZ_VENV) $(PYWB_VENV) demo .pytest_cache .cache
