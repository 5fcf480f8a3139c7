/* The models a run can select with --model. */
#include <string.h>

#include "models/model.h"

extern const struct ims_model_ops ims_vtd_ops;
extern const struct ims_model_ops ims_amdv1_ops;
extern const struct ims_model_ops ims_smmuv3_ops;

const struct ims_model_ops *const ims_models[] = {
	&ims_vtd_ops,
	&ims_amdv1_ops,
	&ims_smmuv3_ops,
};

const unsigned ims_model_count = sizeof(ims_models) / sizeof(ims_models[0]);

const struct ims_model_ops *ims_model_find(const char *name)
{
	for (unsigned i = 0; i < ims_model_count; i++)
		if (strcmp(ims_models[i]->name, name) == 0)
			return ims_models[i];
	return NULL;
}
