//! amlite: a local emulator of Azure Machine Learning managed online endpoints.
pub mod network;
pub mod rules;
