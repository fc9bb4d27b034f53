-- Add an order status
--
-- Revision ID: 4d2e9a7b5c10
-- Revises: 27c6a30d7c24
-- Create Date: 2026-11-21 15:30:54.004512

-- upgrade
ALTER TABLE orders ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'placed';

-- downgrade
ALTER TABLE orders DROP COLUMN status;
