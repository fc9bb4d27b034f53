-- Index orders by date
--
-- Revision ID: 3b8f0c1d2e4a
-- Revises: 27c6a30d7c24
-- Branch Labels: reporting
-- Create Date: 2026-11-21 14:02:11.870042
-- Transactional: false

-- upgrade: postgresql
CREATE INDEX CONCURRENTLY orders_placed_at ON orders (placed_at);

-- upgrade
CREATE INDEX orders_placed_at ON orders (placed_at);

-- downgrade
DROP INDEX orders_placed_at;

-- downgrade: mysql
DROP INDEX orders_placed_at ON orders;
