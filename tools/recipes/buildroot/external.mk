include $(BR2_EXTERNAL_FLOE_PATH)/floe/floe.mk
