"""One-line integrations of training frameworks: import the module of yours.

========================  ==================================================================
Keras 3                   ``model.fit(..., callbacks=[cellflux.integrations.keras.CellfluxCallback()])``
Lightning 2               ``Trainer(logger=cellflux.integrations.lightning.CellfluxLogger(),
                          callbacks=[cellflux.integrations.lightning.CellfluxProgressBar()])``
Hugging Face Trainer      ``Trainer(..., callbacks=[cellflux.integrations.transformers.CellfluxCallback()])``
XGBoost                   ``xgb.train(..., callbacks=[cellflux.integrations.xgboost.CellfluxCallback()])``
LightGBM                  ``lgb.train(..., callbacks=[cellflux.integrations.lightgbm.cellflux_callback()])``
========================  ==================================================================

This package imports no framework: each module imports only its own (and
cellflux's public API), and says which package to install when it is missing.
"""
