package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered file of migrations/, NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s: name must be NNNN_name.sql", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("store: two migrations numbered %d", ms[i].version)
		}
	}
	return ms, nil
}

// statements splits a migration into statements for the dialect. Statements
// end with a semicolon at the end of a line; lines starting with -- are
// comments. Both databases run DDL inside transactions, so a migration is
// applied whole or not at all.
func (d dialect) statements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, strings.ReplaceAll(stmt, "{{pk}}", d.pk))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, strings.ReplaceAll(rest, "{{pk}}", d.pk))
	}
	return out
}

// migrationSteps are the parts of migrations that SQL alone cannot do
// in both dialects, run after the migration's statements.
var migrationSteps = map[int]func(s *Store, q q) error{
	2: hashOldTokens,
}

// hashOldTokens moves the plain tokens of the first schema into
// user_tokens, hashed, valid for a TokenTTL from now, and drops them.
func hashOldTokens(s *Store, q q) error {
	type tok struct {
		token, date string
		user        int64
	}
	rows, err := q.query(`SELECT token, user_id, date_add FROM tokens`)
	toks, err := scanAll(rows, err, func(r *sql.Rows) (tok, error) {
		var t tok
		return t, r.Scan(&t.token, &t.user, &t.date)
	})
	if err != nil {
		return err
	}
	expire := stampOf(s.now().Add(s.policy.TokenTTL))
	for _, t := range toks {
		if _, err := q.exec(`INSERT INTO user_tokens (token_hash, user_id, date_add, date_expire) VALUES (?, ?, ?, ?)`,
			HashToken(t.token), t.user, t.date, expire); err != nil {
			return err
		}
	}
	_, err = q.exec(`DROP TABLE tokens`)
	return err
}

// migrate applies, in one transaction, the migrations the database has not
// seen yet, and records each in schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q q) error {
		if s.d.migrationLock != "" {
			if _, err := q.exec(s.d.migrationLock); err != nil {
				return fmt.Errorf("store: lock for migrations: %w", err)
			}
		}
		if _, err := q.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version  INTEGER PRIMARY KEY,
			name     TEXT NOT NULL,
			date_add TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("store: create schema_migrations: %w", err)
		}
		applied := map[int]bool{}
		rows, err := q.query(`SELECT version FROM schema_migrations`)
		versions, err := scanAll(rows, err, func(r *sql.Rows) (int, error) {
			var v int
			return v, r.Scan(&v)
		})
		if err != nil {
			return fmt.Errorf("store: read schema_migrations: %w", err)
		}
		for _, v := range versions {
			applied[v] = true
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			for _, stmt := range s.d.statements(m.sql) {
				if _, err := q.exec(stmt); err != nil {
					return fmt.Errorf("store: migration %s: %w\n%s", m.name, err, stmt)
				}
			}
			if step := migrationSteps[m.version]; step != nil {
				if err := step(s, q); err != nil {
					return fmt.Errorf("store: migration %s: %w", m.name, err)
				}
			}
			if _, err := q.exec(`INSERT INTO schema_migrations (version, name, date_add) VALUES (?, ?, ?)`,
				m.version, m.name, s.stamp()); err != nil {
				return fmt.Errorf("store: record migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}
