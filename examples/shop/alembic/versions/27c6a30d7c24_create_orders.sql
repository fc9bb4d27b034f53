-- Create orders
--
-- Revision ID: 27c6a30d7c24
-- Revises: 1975ea83b712
-- Create Date: 2026-11-20 09:40:02.118400

-- upgrade
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    total_cents INTEGER NOT NULL DEFAULT 0,
    placed_at VARCHAR(32) NOT NULL
);

-- downgrade
DROP TABLE orders;
