-- Create customers
--
-- Revision ID: 1975ea83b712
-- Revises:
-- Create Date: 2026-11-20 09:12:45.301922

-- upgrade
CREATE TABLE customer (
    id INTEGER PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    name VARCHAR(200) NOT NULL
);

-- downgrade
DROP TABLE customer;
