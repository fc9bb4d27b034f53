-- Merge reporting and status
--
-- Revision ID: 5a1f3c9e8d77
-- Revises: 3b8f0c1d2e4a, 4d2e9a7b5c10
-- Create Date: 2026-11-22 08:00:00.000000

-- upgrade

-- downgrade
