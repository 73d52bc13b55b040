# sales_allocation: build, run and test.
#
#   make run                 serve Odoo with the addon on http://localhost:$(PORT) (admin/admin)
#   make run PORT=8070 DB=sa2  a second instance beside the first
#   make run LANG=zh_CN      the same in Chinese: zh_CN loaded, admin and demo users in it
#   make test                every test suite on a fresh throw-away database
#   make setup               only prepare the machine (tools/setup.sh)
#   make dropdb              drop $(DB) and its filestore (the next `make run` re-creates it)
#   make bench               allocation at scale, one table (BENCH_ARGS=--full: the issue's sizes)
#
# Extra Odoo options: make run ODOO_ARGS="-u sales_allocation --dev=xml"

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8069
DB ?= sales_allocation
TEST_DB ?= $(DB)_test
ODOO_ARGS ?=

# The demo's language. LANG is also the shell's locale variable (often C.UTF-8 in the
# environment): only LANG given on make's command line (`make run LANG=zh_CN`) picks the
# demo's language, and the recipes then keep the machine's usual locale. DEMO_LANG=zh_CN
# is the same, under a name of its own. Empty: English, as Odoo installs it.
DEMO_LANG ?=
ifeq ($(origin LANG),command line)
DEMO_LANG := $(LANG)
override LANG := C.UTF-8
endif

ROOT := $(CURDIR)
PY := $(ROOT)/.venv/bin/python
ODOO := $(PY) $(ROOT)/tools/odoo.py -c $(ROOT)/.run/odoo.conf
export PATH := $(ROOT)/.tools/node_modules/.bin:$(PATH)

.PHONY: help setup run test dropdb bench

help:
	@sed -n '3,11p' Makefile | sed 's/^# \{0,1\}//'

setup:
	@tools/setup.sh

# Create $(DB) with sales_allocation and demo data unless it is already there,
# then serve it. A database left half-created (module not installed) is re-created.
# With DEMO_LANG (or LANG on the command line) the language is loaded (into an existing
# database too) and becomes the administrator's and the demo users' language.
run: setup
	@state="$$(tools/db.sh module-state '$(DB)')"; \
	lang_opt=$(if $(DEMO_LANG),'--lang=$(DEMO_LANG)'); \
	case "$$state" in \
	    absent) tools/db.sh create '$(DB)' $$lang_opt ;; \
	    empty|not-listed|uninstalled|uninstallable|"to install") \
	        echo "run: database $(DB) exists but sales_allocation was never installed in it ($$state): re-creating it"; \
	        tools/db.sh drop '$(DB)'; tools/db.sh create '$(DB)' $$lang_opt ;; \
	    *) echo "run: database $(DB) ready (sales_allocation $$state)"; \
	       $(if $(DEMO_LANG),tools/db.sh lang '$(DB)' '$(DEMO_LANG)',:) ;; \
	esac
	@echo "run: serving $(DB) on http://localhost:$(PORT)  (login admin / password admin; Ctrl-C stops)"
	@exec $(ODOO) -d '$(DB)' --db-filter='^$(DB)$$' --http-port=$(PORT) \
	    --longpolling-port=$$(( $(PORT) + 3 )) --workers=0 $(ODOO_ARGS)

test:
	@tools/test.sh '$(TEST_DB)'

dropdb: setup
	@tools/db.sh drop '$(DB)'

# The benchmark of issue 6 (bench/): its own throw-away database, never $(DB).
# BENCH_ARGS: e.g. --full, --help, --only 1,4, --from sales_allocation_test.
BENCH_ARGS ?=
bench: setup
	@$(PY) -m bench $(BENCH_ARGS)
