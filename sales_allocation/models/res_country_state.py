# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

# China's provinces exactly as l10n_cn (GB/T 2260) names them. Odoo 11 ships them only in
# l10n_cn, which pulls in accounting; territory rules need them without it.
CN_STATES = [
    ("state_BJ", "北京市", "京"), ("state_SH", "上海市", "沪"), ("state_ZJ", "浙江省", "浙"),
    ("state_TJ", "天津市", "津"), ("state_AH", "安徽省", "皖"), ("state_FJ", "福建省", "闽"),
    ("state_CQ", "重庆市", "渝 "), ("state_JX", "江西省", "赣"), ("state_SD", "山东省", "鲁"),
    ("state_HA", "河南省", "豫"), ("state_NM", "内蒙古自治区", "蒙"),
    ("state_HB", "湖北省", "鄂"), ("state_XJ", "新疆维吾尔自治区", "新"),
    ("state_HN", "湖南省", "湘"), ("state_NX", "宁夏回族自治区", "宁"),
    ("state_GD", "广东省", "粤"), ("state_XZ", "西藏自治区", "藏"), ("state_HI", "海南省", "琼"),
    ("state_GX", "广西壮族自治区", "桂"), ("state_SC", "四川省", "蜀"),
    ("state_HE", "河北省", "冀"), ("state_GZ", "贵州省", "黔"), ("state_SX", "山西省", "晋"),
    ("state_YN", "云南省", "滇"), ("state_LN", "辽宁省", "辽"), ("state_SN", "陕西省", "陕"),
    ("state_JL", "吉林省", "吉"), ("state_GS", "甘肃省", "甘"), ("state_HL", "黑龙江省", "黑"),
    ("state_QH", "青海省", "青"), ("state_JS", "江苏省", "苏"), ("state_TW", "台湾省", "台"),
    ("state_HK", "香港特别行政区", "港"), ("state_MO", "澳门特别行政区", "澳"),
]


class ResCountryState(models.Model):
    _inherit = "res.country.state"

    @api.model
    def _sales_allocation_ensure_cn_states(self):
        """Create China's provinces under l10n_cn's own XML ids.

        A later install of l10n_cn then finds its ids already present and updates these
        records instead of inserting duplicates that would violate the (country, code)
        uniqueness. Existing provinces (l10n_cn installed first) are reused as they are.
        """
        china = self.env.ref("base.cn")
        data = self.env["ir.model.data"].sudo()
        existing = {
            state.code: state
            for state in self.sudo().search([("country_id", "=", china.id)])
        }
        for xml_name, name, code in CN_STATES:
            if data.search_count([("module", "=", "l10n_cn"), ("name", "=", xml_name)]):
                continue
            state = existing.get(code) or self.sudo().create(
                {"name": name, "code": code, "country_id": china.id})
            data.create({
                "module": "l10n_cn", "name": xml_name, "model": self._name,
                "res_id": state.id, "noupdate": True,
            })
        return True
