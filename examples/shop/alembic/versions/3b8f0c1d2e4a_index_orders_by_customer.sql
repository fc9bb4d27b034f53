-- Index orders by customer
--
-- Revision ID: 3b8f0c1d2e4a
-- Revises: 27c6a30d7c24
-- Branch Labels: reporting
-- Create Date: 2026-11-21 14:02:11.870042
-- Transactional: false

-- upgrade: postgresql
CREATE INDEX CONCURRENTLY orders_customer_id ON orders (customer_id);

-- upgrade
CREATE INDEX orders_customer_id ON orders (customer_id);

-- downgrade
DROP INDEX orders_customer_id;
