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
# The Node the executable is made from (tsx runs the `node` on PATH): its path, version, size and time.
# Rewritten only when they change, so that a new Node, and nothing else, remakes the executable.
NODE_IDENTITY := dist-sea/node-identity

all: $(SEA)

$(SEA): package.json package-lock.json scripts/sea.ts scripts/bundle.ts $(shell find src -type f) $(NODE_IDENTITY)
	$(TSX) scripts/sea.ts $@

$(NODE_IDENTITY): FORCE
	@mkdir -p $(@D)
	@identity=$$(node -p 'const s = require("node:fs").statSync(process.execPath); `$${process.execPath} $${process.version} $${s.size} $${s.mtimeMs}`') && \
		if [ "$$identity" != "$$(cat $@ 2>/dev/null)" ]; then echo "$$identity" > $@.$$$$ && mv $@.$$$$ $@; fi

FORCE:

install: $(SEA)
	$(TSX) scripts/package-install.ts $(SEA) $(FILESDIR) $(DOCS_SCRIPT) \
		"DESTDIR=$(DESTDIR)" "PREFIX=$(PREFIX)" "SYSCONFDIR=$(SYSCONFDIR)" \
		"SYSTEMDUNITDIR=$(SYSTEMDUNITDIR)" "LOCALSTATEDIR=$(LOCALSTATEDIR)" "COMPRESS_MAN=$(COMPRESS_MAN)"

.PHONY: all install FORCE
