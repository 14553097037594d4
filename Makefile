# Two entry points do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
#: Debian fonts for the order sheet's CJK, Thai and Devanagari names (see $(STAMP)).
SHEET_FONTS := fonts-noto-cjk fonts-tlwg-loma-ttf fonts-lohit-deva
#: The demo's preparation time (the example is assessed 2026-11-22 06:00 -05:00), so `make demo`
#: writes the same worksheet and labels every time.
DEMO_PREPARED := 2026-11-22T08:30-05:00
#: Debian's Chromium for the browser tests of `orderset serve` (tests/test_service_browser.py).
BROWSER := chromium chromium-driver
#: `make serve`: where the service listens (loopback only unless told otherwise).
SERVE_HOST ?= 127.0.0.1
SERVE_PORT ?= 8080

.PHONY: demo serve test test-deep lint typecheck format bench install clean readme

$(STAMP): pyproject.toml
	@# Best effort: Debian's HarfBuzz subsetter makes PDF font subsetting about 7x faster and
	@# spares weasyprint's fontTools fallback; without root or apt the build still works.
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    ! dpkg -s libharfbuzz-subset0 >/dev/null 2>&1; then \
	  apt-get install -y -q libharfbuzz-subset0 >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q libharfbuzz-subset0 >/dev/null 2>&1) || \
	  echo "note: libharfbuzz-subset0 not installed; PDF font subsetting uses fontTools"; \
	fi
	@# Best effort too: fonts for names the bundled DejaVu cannot print (CJK: fonts-noto-cjk,
	@# about 91 MB installed; Thai: fonts-tlwg-loma-ttf, 0.4 MB; Devanagari: fonts-lohit-deva,
	@# 0.2 MB). Without them Latin, Greek, Cyrillic, Arabic and Hebrew still print, and a name
	@# no installed font has is refused at load (orderset/glyphs.py), never a failed PDF.
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    ! dpkg -s $(SHEET_FONTS) >/dev/null 2>&1; then \
	  apt-get install -y -q $(SHEET_FONTS) >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(SHEET_FONTS) >/dev/null 2>&1) || \
	  echo "note: $(SHEET_FONTS) not installed; names in CJK, Thai or Devanagari are refused"; \
	fi
	@# Best effort too: Chromium drives the web form's browser tests (Playwright uses the
	@# system browser; it downloads none). Without it those tests skip, saying why.
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    ! dpkg -s $(BROWSER) >/dev/null 2>&1; then \
	  apt-get install -y -q $(BROWSER) >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(BROWSER) >/dev/null 2>&1) || \
	  echo "note: $(BROWSER) not installed; the browser tests of orderset serve will skip"; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p out
	$(BIN)/orderset build examples/toddler-shock-brainstem.json --format json -o out/toddler-shock-brainstem.json
	$(BIN)/orderset build examples/toddler-shock-brainstem.json --format hl7 -o out/toddler-shock-brainstem.hl7
	$(BIN)/orderset build examples/toddler-shock-brainstem.json --format pdf -o out/toddler-shock-brainstem.pdf
	$(BIN)/orderset build examples/toddler-shock-brainstem.json --format worksheet --prepared-at $(DEMO_PREPARED) -o out/toddler-shock-brainstem-worksheet.pdf
	$(BIN)/orderset build examples/toddler-shock-brainstem.json --format labels --prepared-at $(DEMO_PREPARED) -o out/toddler-shock-brainstem-labels.pdf
	@echo "wrote out/toddler-shock-brainstem.json"
	@echo "wrote out/toddler-shock-brainstem.hl7"
	@echo "wrote out/toddler-shock-brainstem.pdf (the admission order sheet)"
	@echo "wrote out/toddler-shock-brainstem-worksheet.pdf (the pharmacy preparation worksheet)"
	@echo "wrote out/toddler-shock-brainstem-labels.pdf (dose labels)"

serve: $(STAMP)
	$(BIN)/orderset serve --host $(SERVE_HOST) --port $(SERVE_PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy reads its settings (python_version, files, overrides) from [tool.mypy] in pyproject.toml.
typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) out build dist *.egg-info

readme: $(STAMP)
	$(BIN)/python -c "import re, subprocess; t = subprocess.run(['$(BIN)/orderset', 'rules'], capture_output=True, text=True, check=True).stdout; p = 'README.md'; s = open(p).read(); open(p, 'w').write(re.sub(r'(<!-- rules:start -->\n).*?(<!-- rules:end -->)', lambda m: m.group(1) + t + m.group(2), s, flags=re.S))"

test-deep: $(STAMP)
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/service.py
