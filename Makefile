# kmodforge as a system tool. Building needs the project's dev dependencies: run `npm ci` first.
#   make                  the single executable, dist-sea/kmodforge (Node and the CLI in one file)
#   make install          it, the `dkms` link, packaging/files/, man pages and completions, under
#                         $(DESTDIR): PREFIX=/usr/local SYSCONFDIR=/etc SYSTEMDUNITDIR=/lib/systemd/system
# The .deb and .rpm (npm run deb, npm run rpm) are staged with `make install`: one list of files, planned in
# scripts/package-layout.ts.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= /lib/systemd/system
LOCALSTATEDIR ?= /var
COMPRESS_MAN ?= no
FILESDIR ?= packaging/files
DOCS_SCRIPT ?= scripts/docs.ts

TSX := node_modules/.bin/tsx
SEA := dist-sea/kmodforge

all: $(SEA)

$(SEA): package.json package-lock.json scripts/sea.ts scripts/bundle.ts $(shell find src -type f)
	$(TSX) scripts/sea.ts $@

install: $(SEA)
	$(TSX) scripts/package-install.ts $(SEA) $(FILESDIR) $(DOCS_SCRIPT) \
		"DESTDIR=$(DESTDIR)" "PREFIX=$(PREFIX)" "SYSCONFDIR=$(SYSCONFDIR)" \
		"SYSTEMDUNITDIR=$(SYSTEMDUNITDIR)" "LOCALSTATEDIR=$(LOCALSTATEDIR)" "COMPRESS_MAN=$(COMPRESS_MAN)"

.PHONY: all install
